package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Component names double as subcommand names, log file and pid file names.
const (
	compEtcd      = "etcd"
	compAPIServer = "kube-apiserver"
	compKCM       = "kube-controller-manager"
)

// startOrder is the order of "up"; "down" stops in reverse.
var startOrder = []string{compEtcd, compAPIServer, compKCM}

// extraArgsEnv names the fault-injection / tuning hooks: whitespace-separated
// arguments appended to a component's command line.
var extraArgsEnv = map[string]string{
	compEtcd:      "KOPP_CONTROLPLANE_ETCD_ARGS",
	compAPIServer: "KOPP_CONTROLPLANE_APISERVER_ARGS",
	compKCM:       "KOPP_CONTROLPLANE_CONTROLLER_MANAGER_ARGS",
}

// defaultControllers are the kube-controller-manager controllers that make sense
// without a scheduler, kubelets or a cloud provider.
var defaultControllers = []string{
	"garbage-collector-controller",
	"namespace-controller",
	"deployment-controller",
	"replicaset-controller",
	"replicationcontroller-controller",
	"statefulset-controller",
	"daemonset-controller",
	"job-controller",
	"cronjob-controller",
	"ttl-after-finished-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"endpoints-controller",
	"endpointslice-controller",
	"endpointslice-mirroring-controller",
	"resourcequota-controller",
	"disruption-controller",
	"pod-garbage-collector-controller",
	"clusterrole-aggregation-controller",
}

type ports struct {
	Etcd              int `json:"etcd"`
	EtcdPeer          int `json:"etcdPeer"`
	APIServer         int `json:"kubeAPIServer"`
	ControllerManager int `json:"kubeControllerManager"`
}

// state is DIR/state.json: what was started where. Ports are kept so that a
// restart (restart-apiserver, or down+up) serves on the same addresses.
type state struct {
	Dir               string         `json:"dir"`
	KubernetesVersion string         `json:"kubernetesVersion"`
	EtcdVersion       string         `json:"etcdVersion"`
	APIServerURL      string         `json:"apiServerURL"`
	Kubeconfig        string         `json:"kubeconfig"`
	Ports             ports          `json:"ports"`
	PIDs              map[string]int `json:"pids"`
	Controllers       []string       `json:"controllers"`
	EtcdFsync         bool           `json:"etcdFsync"`
	UpdatedAt         time.Time      `json:"updatedAt"`
}

type layout struct {
	dir string
}

func (l layout) statePath() string       { return filepath.Join(l.dir, "state.json") }
func (l layout) lockPath() string        { return filepath.Join(l.dir, ".lock") }
func (l layout) logPath(c string) string { return filepath.Join(l.dir, "logs", c+".log") }
func (l layout) pidPath(c string) string { return filepath.Join(l.dir, "pids", c+".pid") }
func (l layout) etcdData() string        { return filepath.Join(l.dir, "etcd") }
func (l layout) adminKubeconfig() string { return filepath.Join(l.dir, "admin.kubeconfig") }
func (l layout) kcmKubeconfig() string {
	return filepath.Join(l.dir, "kube-controller-manager.kubeconfig")
}
func (l layout) kcmCertDir() string       { return filepath.Join(l.dir, "kube-controller-manager-certs") }
func (l layout) pki() pki                 { return pki{dir: filepath.Join(l.dir, "pki")} }
func (l layout) url(st *state) string     { return fmt.Sprintf("https://127.0.0.1:%d", st.Ports.APIServer) }
func (l layout) etcdURL(st *state) string { return fmt.Sprintf("http://127.0.0.1:%d", st.Ports.Etcd) }
func (l layout) kcmURL(st *state) string {
	return fmt.Sprintf("https://127.0.0.1:%d", st.Ports.ControllerManager)
}
func (l layout) componentArgs(st *state, c string) []string {
	var args []string
	switch c {
	case compEtcd:
		args = l.etcdArgs(st)
	case compAPIServer:
		args = l.apiserverArgs(st)
	case compKCM:
		args = l.kcmArgs(st)
	}
	return append(args, strings.Fields(os.Getenv(extraArgsEnv[c]))...)
}

func (l layout) etcdArgs(st *state) []string {
	return []string{
		"--data-dir=" + l.etcdData(),
		"--client-port=" + strconv.Itoa(st.Ports.Etcd),
		"--peer-port=" + strconv.Itoa(st.Ports.EtcdPeer),
		"--unsafe-no-fsync=" + strconv.FormatBool(!st.EtcdFsync),
	}
}

// auditPolicyText makes kube-apiserver record who called which verb on which resource
// (level Metadata: no bodies) for ServiceAccounts outside kube-system: an operator under
// test runs as one, so a test can compare the calls it made with the role it was given.
// kube-controller-manager's own ServiceAccounts (kube-system) and users are not recorded.
const auditPolicyText = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  userGroups: ["system:serviceaccounts:kube-system"]
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
`

func (l layout) auditPolicy() string { return filepath.Join(l.dir, "audit-policy.yaml") }
func (l layout) auditLog() string    { return filepath.Join(l.dir, "audit.log") }

func (l layout) apiserverArgs(st *state) []string {
	p := l.pki()
	return []string{
		"--audit-policy-file=" + l.auditPolicy(),
		"--audit-log-path=" + l.auditLog(),
		"--audit-log-format=json",
		"--audit-log-maxsize=64",
		"--audit-log-maxbackup=1",
		"--etcd-servers=" + l.etcdURL(st),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(st.Ports.APIServer),
		"--cert-dir=" + filepath.Join(l.dir, "kube-apiserver-certs"),
		"--tls-cert-file=" + p.servingCert(),
		"--tls-private-key-file=" + p.servingKey(),
		"--client-ca-file=" + p.caCert(),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPub(),
		"--service-account-signing-key-file=" + p.saKey(),
		"--api-audiences=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--requestheader-client-ca-file=" + p.frontProxyCA(),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p.frontProxyCert(),
		"--proxy-client-key-file=" + p.frontProxyKey(),
		"--allow-privileged=true",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
	}
}

func (l layout) kcmArgs(st *state) []string {
	p := l.pki()
	return []string{
		"--kubeconfig=" + l.kcmKubeconfig(),
		"--authentication-kubeconfig=" + l.kcmKubeconfig(),
		"--authorization-kubeconfig=" + l.kcmKubeconfig(),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(st.Ports.ControllerManager),
		"--cert-dir=" + l.kcmCertDir(),
		"--controllers=" + strings.Join(st.Controllers, ","),
		"--service-account-private-key-file=" + p.saKey(),
		"--root-ca-file=" + p.caCert(),
		"--use-service-account-credentials=true",
		"--leader-elect=false",
		"--cluster-name=kopp",
		"--profiling=false",
	}
}

// ---------------------------------------------------------------------------
// command line

type commonOpts struct {
	dir string
}

func newFlagSet(name string, o *commonOpts) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", os.Getenv("KOPP_CONTROLPLANE_DIR"), "state directory (default $KOPP_CONTROLPLANE_DIR)")
	return fs
}

func (o *commonOpts) layout() (layout, error) {
	if o.dir == "" {
		return layout{}, errors.New("--dir is required")
	}
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return layout{}, err
	}
	return layout{dir: abs}, nil
}

func fail(cmd string, err error) int {
	fmt.Fprintf(os.Stderr, "kopp-controlplane %s: error: %v\n", cmd, err)
	return 1
}

// ---------------------------------------------------------------------------
// up

func cmdUp(args []string) int {
	var o commonOpts
	fs := newFlagSet("up", &o)
	etcdPort := fs.Int("etcd-port", 0, "etcd client port (0: reuse the one in state.json, else pick a free one)")
	apiPort := fs.Int("apiserver-port", 0, "kube-apiserver secure port (0: reuse or pick)")
	kcmPort := fs.Int("controller-manager-port", 0, "kube-controller-manager secure port (0: reuse or pick)")
	controllers := fs.String("controllers", strings.Join(defaultControllers, ","), "kube-controller-manager --controllers")
	noKCM := fs.Bool("no-controller-manager", false, "do not start kube-controller-manager")
	fsync := fs.Bool("etcd-fsync", false, "let etcd fsync (slower; off is fine for throw-away test data)")
	etcdTimeout := fs.Duration("etcd-timeout", 30*time.Second, "how long to wait for etcd to be healthy")
	apiTimeout := fs.Duration("apiserver-timeout", 90*time.Second, "how long to wait for kube-apiserver /readyz")
	kcmTimeout := fs.Duration("controller-manager-timeout", 60*time.Second, "how long to wait for kube-controller-manager")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, err := o.layout()
	if err != nil {
		return fail("up", err)
	}
	begin := time.Now()
	for _, d := range []string{l.dir, filepath.Join(l.dir, "logs"), filepath.Join(l.dir, "pids")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fail("up", err)
		}
	}
	unlock, err := lockDir(l)
	if err != nil {
		return fail("up", err)
	}
	defer unlock()

	if running := runningComponents(l); len(running) > 0 {
		return fail("up", fmt.Errorf("a control plane is already running for %s (%s); use `kopp-controlplane down --dir %s` first",
			l.dir, describePIDs(running), l.dir))
	}

	st := loadState(l)
	st.Dir = l.dir
	st.KubernetesVersion = kubernetesVersion()
	st.EtcdVersion = etcdVersion()
	st.Controllers = strings.Split(*controllers, ",")
	st.EtcdFsync = *fsync
	st.PIDs = map[string]int{}
	if err := choosePorts(st, *etcdPort, *apiPort, *kcmPort); err != nil {
		return fail("up", err)
	}
	st.APIServerURL = l.url(st)
	st.Kubeconfig = l.adminKubeconfig()

	if err := l.pki().ensure(); err != nil {
		return fail("up", fmt.Errorf("generating certificates: %w", err))
	}
	if err := writeKubeconfigs(l, st); err != nil {
		return fail("up", fmt.Errorf("writing kubeconfigs: %w", err))
	}
	if err := os.WriteFile(l.auditPolicy(), []byte(auditPolicyText), 0o644); err != nil {
		return fail("up", fmt.Errorf("writing the audit policy: %w", err))
	}
	if err := saveState(l, st); err != nil {
		return fail("up", err)
	}

	var started []string
	abort := func(err error) int {
		reportError("up", err)
		for i := len(started) - 1; i >= 0; i-- {
			c := started[i]
			stopComponent(l, c, st.PIDs[c], 15*time.Second, os.Stderr)
			delete(st.PIDs, c)
		}
		_ = saveState(l, st)
		return 1
	}

	components := startOrder
	if *noKCM {
		components = components[:2]
	}
	timeouts := map[string]time.Duration{compEtcd: *etcdTimeout, compAPIServer: *apiTimeout, compKCM: *kcmTimeout}
	for _, c := range components {
		t0 := time.Now()
		started = append(started, c)
		if err := startAndWait(l, st, c, timeouts[c]); err != nil {
			return abort(err)
		}
		fmt.Printf("kopp-controlplane: %-24s ready in %5.1fs (pid %d, log %s)\n", c, time.Since(t0).Seconds(), st.PIDs[c], l.logPath(c))
	}

	exe, _ := os.Executable()
	fmt.Printf(`kopp-controlplane: control plane ready in %.1fs (Kubernetes %s, etcd %s)
  kube-apiserver           %s
  etcd                     %s
  kube-controller-manager  %s
  state                    %s

Use it:
  export KUBECONFIG=%s
  %s kubectl get namespaces
Stop it:
  %s down --dir %s
`, time.Since(begin).Seconds(), st.KubernetesVersion, st.EtcdVersion,
		st.APIServerURL, l.etcdURL(st), kcmDesc(l, st, *noKCM), l.statePath(),
		l.adminKubeconfig(), exe, exe, l.dir)
	return 0
}

func kcmDesc(l layout, st *state, off bool) string {
	if off {
		return "(not started)"
	}
	return l.kcmURL(st)
}

// startAndWait starts one component and waits until it is ready. When it
// fails, the tail of its log is printed; the caller stops what was started.
func startAndWait(l layout, st *state, c string, timeout time.Duration) error {
	if err := checkPortFree(st, c); err != nil {
		return err
	}
	proc, err := startComponent(l, c, l.componentArgs(st, c))
	if err != nil {
		return fmt.Errorf("starting %s: %w", c, err)
	}
	st.PIDs[c] = proc.pid
	if err := saveState(l, st); err != nil {
		return err
	}
	probe := readinessProbe(l, st, c)
	if err := waitReady(c, proc, timeout, probe); err != nil {
		return &componentError{err: err, log: l.logPath(c)}
	}
	return nil
}

// componentError is a failure of a started component; its log tail is printed
// after the error message.
type componentError struct {
	err error
	log string
}

func (e *componentError) Error() string { return e.err.Error() }

func reportError(cmd string, err error) {
	fmt.Fprintf(os.Stderr, "kopp-controlplane %s: error: %v\n", cmd, err)
	var ce *componentError
	if errors.As(err, &ce) {
		printLogTail(os.Stderr, ce.log, 30)
	}
}

func checkPortFree(st *state, c string) error {
	var ps []int
	switch c {
	case compEtcd:
		ps = []int{st.Ports.Etcd, st.Ports.EtcdPeer}
	case compAPIServer:
		ps = []int{st.Ports.APIServer}
	case compKCM:
		ps = []int{st.Ports.ControllerManager}
	}
	for _, p := range ps {
		if !portFree(p) {
			return fmt.Errorf("port 127.0.0.1:%d needed by %s is already in use", p, c)
		}
	}
	return nil
}

// choosePorts fills st.Ports: an explicit port must be free; otherwise the one
// from a previous run is reused when free, else a free loopback port is picked.
func choosePorts(st *state, etcd, api, kcm int) error {
	taken := map[int]bool{}
	pick := func(name string, explicit, previous int) (int, error) {
		if explicit != 0 {
			if !portFree(explicit) {
				return 0, fmt.Errorf("port 127.0.0.1:%d requested for %s is already in use", explicit, name)
			}
			taken[explicit] = true
			return explicit, nil
		}
		if previous != 0 && !taken[previous] && portFree(previous) {
			taken[previous] = true
			return previous, nil
		}
		for i := 0; i < 50; i++ {
			p, err := freePort()
			if err != nil {
				return 0, err
			}
			if !taken[p] {
				taken[p] = true
				return p, nil
			}
		}
		return 0, errors.New("could not find a free port on 127.0.0.1")
	}
	var err error
	if st.Ports.Etcd, err = pick("etcd", etcd, st.Ports.Etcd); err != nil {
		return err
	}
	if st.Ports.EtcdPeer, err = pick("etcd peer", 0, st.Ports.EtcdPeer); err != nil {
		return err
	}
	if st.Ports.APIServer, err = pick(compAPIServer, api, st.Ports.APIServer); err != nil {
		return err
	}
	if st.Ports.ControllerManager, err = pick(compKCM, kcm, st.Ports.ControllerManager); err != nil {
		return err
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func portFree(p int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// ---------------------------------------------------------------------------
// processes

type child struct {
	pid    int
	exited chan struct{}
	status string
}

// startComponent starts "<this binary> <component> args..." detached in its own
// session, with output to DIR/logs/<component>.log (the previous log is kept as
// .log.1) and its pid in DIR/pids/<component>.pid.
func startComponent(l layout, c string, args []string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logPath := l.logPath(c)
	if exists(logPath) {
		_ = os.Rename(logPath, logPath+".1")
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "# %s started by kopp-controlplane at %s\n# %s %s %s\n", c,
		time.Now().Format(time.RFC3339), exe, c, strings.Join(args, " "))
	cmd := exec.Command(exe, append([]string{c}, args...)...)
	cmd.Dir = l.dir
	cmd.Stdin = nil
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		if err != nil {
			ch.status = err.Error()
		} else {
			ch.status = "exit status 0"
		}
		close(ch.exited)
	}()
	if err := os.WriteFile(l.pidPath(c), []byte(strconv.Itoa(ch.pid)+"\n"), 0o644); err != nil {
		return ch, err
	}
	return ch, nil
}

func waitReady(c string, proc *child, timeout time.Duration, probe func() error) error {
	deadline := time.Now().Add(timeout)
	lastErr := errors.New("not probed yet")
	for {
		select {
		case <-proc.exited:
			return fmt.Errorf("%s (pid %d) exited before it was ready: %s", c, proc.pid, proc.status)
		default:
		}
		if lastErr = probe(); lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s (pid %d) not ready after %s: %v", c, proc.pid, timeout, lastErr)
		}
		select {
		case <-proc.exited:
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// pidAlive reports whether pid is a live (not zombie) process that runs this
// binary as component c for DIR: a recycled pid is never mistaken for ours.
func pidAlive(l layout, c string, pid int) bool {
	if pid <= 0 {
		return false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(raw) == 0 {
		return false
	}
	argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if len(argv) < 2 || argv[1] != c || !strings.Contains(string(raw), l.dir+string(filepath.Separator)) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3 (after "(comm)") is the state; Z and X are dead.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		if st := s[i+2]; st == 'Z' || st == 'X' {
			return false
		}
	}
	return true
}

// findPIDs returns the live processes of component c for DIR: the one in its pid
// file plus any found by scanning /proc (for example after a launcher crash).
func findPIDs(l layout, c string) []int {
	seen := map[int]bool{}
	var out []int
	if b, err := os.ReadFile(l.pidPath(c)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pidAlive(l, c, pid) {
			seen[pid] = true
			out = append(out, pid)
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || seen[pid] || pid == os.Getpid() {
			continue
		}
		if pidAlive(l, c, pid) {
			seen[pid] = true
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}

func runningComponents(l layout) map[string][]int {
	m := map[string][]int{}
	for _, c := range startOrder {
		if pids := findPIDs(l, c); len(pids) > 0 {
			m[c] = pids
		}
	}
	return m
}

func describePIDs(m map[string][]int) string {
	var parts []string
	for _, c := range startOrder {
		if pids, ok := m[c]; ok {
			parts = append(parts, fmt.Sprintf("%s pid %v", c, pids))
		}
	}
	return strings.Join(parts, ", ")
}

// stopComponent sends SIGTERM to the process (and its process group), waits up
// to grace, then SIGKILLs. It returns once the process is gone.
func stopComponent(l layout, c string, pid int, grace time.Duration, out io.Writer) {
	pids := findPIDs(l, c)
	if pid > 0 && pidAlive(l, c, pid) && !containsInt(pids, pid) {
		pids = append(pids, pid)
	}
	for _, p := range pids {
		stopPID(l, c, p, grace, out)
	}
	_ = os.Remove(l.pidPath(c))
}

func stopPID(l layout, c string, pid int, grace time.Duration, out io.Writer) {
	t0 := time.Now()
	waitGone := func(d time.Duration) bool {
		deadline := time.Now().Add(d)
		for pidAlive(l, c, pid) {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(100 * time.Millisecond)
		}
		return true
	}
	// Kubernetes components shut down gracefully on the first signal, which
	// waits for long-running requests (watches) to drain, and exit at once on
	// a second one. Allow a short graceful phase, then insist, then kill.
	how := "SIGTERM"
	signalGroup(pid, syscall.SIGTERM)
	first := min(3*time.Second, grace)
	if !waitGone(first) {
		how = "second SIGTERM"
		signalGroup(pid, syscall.SIGTERM)
		if !waitGone(grace - first) {
			how = "SIGKILL after " + grace.String()
			signalGroup(pid, syscall.SIGKILL)
			waitGone(10 * time.Second)
		}
	}
	fmt.Fprintf(out, "kopp-controlplane: stopped %s (pid %d, %s, %.1fs)\n", c, pid, how, time.Since(t0).Seconds())
}

func signalGroup(pid int, sig syscall.Signal) {
	// Components run as session (and process group) leaders; signal the group
	// when it is theirs so nothing they spawned is left behind.
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
		_ = syscall.Kill(-pid, sig)
		return
	}
	_ = syscall.Kill(pid, sig)
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// lockDir serialises launcher commands on one DIR (flock on DIR/.lock).
func lockDir(l layout) (func(), error) {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(l.lockPath(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another kopp-controlplane command holds %s for more than 3m", l.lockPath())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func printLogTail(w io.Writer, path string, n int) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(w, "(no log at %s: %v)\n", path, err)
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	fmt.Fprintf(w, "---- last %d lines of %s ----\n", len(lines), path)
	for _, line := range lines {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "---- end of %s ----\n", path)
}

// ---------------------------------------------------------------------------
// readiness

func adminHTTPClient(l layout) (*http.Client, error) {
	p := l.pki()
	cert, err := tls.LoadX509KeyPair(p.adminCert(), p.adminKey())
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(p.caCert())
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool},
			Proxy:           nil,
		},
	}, nil
}

func httpCheck(client *http.Client, url string, want func([]byte) bool) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, firstLines(body, 12))
	}
	if want != nil && !want(body) {
		return fmt.Errorf("GET %s: unexpected body %s", url, firstLines(body, 3))
	}
	return nil
}

func firstLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, " | ")
}

func readinessProbe(l layout, st *state, c string) func() error {
	switch c {
	case compEtcd:
		client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil}}
		return func() error {
			return httpCheck(client, l.etcdURL(st)+"/health", func(b []byte) bool {
				var h struct {
					Health string `json:"health"`
				}
				return json.Unmarshal(b, &h) == nil && h.Health == "true"
			})
		}
	case compAPIServer:
		client, err := adminHTTPClient(l)
		if err != nil {
			return func() error { return err }
		}
		return func() error { return httpCheck(client, l.url(st)+"/readyz", nil) }
	case compKCM:
		admin, err := adminHTTPClient(l)
		if err != nil {
			return func() error { return err }
		}
		// kube-controller-manager serves a self-signed certificate that it
		// generated itself; this is a loopback liveness probe only.
		kcm := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
			Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec
		return func() error {
			if err := httpCheck(kcm, l.kcmURL(st)+"/healthz", nil); err != nil {
				return err
			}
			// The serviceaccount controller creating "default" proves the
			// controllers run and can write through the API server.
			return httpCheck(admin, l.url(st)+"/api/v1/namespaces/default/serviceaccounts/default", nil)
		}
	}
	return func() error { return fmt.Errorf("unknown component %s", c) }
}

// ---------------------------------------------------------------------------
// state file

func loadState(l layout) *state {
	st := &state{}
	if b, err := os.ReadFile(l.statePath()); err == nil {
		_ = json.Unmarshal(b, st)
	}
	if st.PIDs == nil {
		st.PIDs = map[string]int{}
	}
	return st
}

func saveState(l layout, st *state) error {
	st.UpdatedAt = time.Now().UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return err
	}
	tmp := l.statePath() + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, l.statePath())
}

// ---------------------------------------------------------------------------
// down, status, restart-apiserver

func cmdDown(args []string) int {
	var o commonOpts
	fs := newFlagSet("down", &o)
	grace := fs.Duration("timeout", 20*time.Second, "how long to wait after SIGTERM before SIGKILL")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, err := o.layout()
	if err != nil {
		return fail("down", err)
	}
	if _, err := os.Stat(l.dir); err != nil {
		fmt.Printf("kopp-controlplane: nothing to stop (%s does not exist)\n", l.dir)
		return 0
	}
	unlock, err := lockDir(l)
	if err != nil {
		return fail("down", err)
	}
	defer unlock()
	st := loadState(l)
	stopped := 0
	for i := len(startOrder) - 1; i >= 0; i-- {
		c := startOrder[i]
		if len(findPIDs(l, c)) > 0 {
			stopComponent(l, c, st.PIDs[c], *grace, os.Stdout)
			stopped++
		}
		_ = os.Remove(l.pidPath(c))
		delete(st.PIDs, c)
	}
	if exists(l.statePath()) {
		_ = saveState(l, st)
	}
	if left := runningComponents(l); len(left) > 0 {
		return fail("down", fmt.Errorf("still running: %s", describePIDs(left)))
	}
	if stopped == 0 {
		fmt.Printf("kopp-controlplane: nothing was running for %s\n", l.dir)
	}
	return 0
}

func cmdStatus(args []string) int {
	var o commonOpts
	fs := newFlagSet("status", &o)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, err := o.layout()
	if err != nil {
		return fail("status", err)
	}
	if !exists(l.statePath()) {
		fmt.Fprintf(os.Stderr, "kopp-controlplane status: no control plane in %s (no state.json)\n", l.dir)
		return 1
	}
	st := loadState(l)
	bad := 0
	for _, c := range startOrder {
		pids := findPIDs(l, c)
		switch {
		case len(pids) == 0:
			fmt.Printf("%-24s DOWN    (not running)\n", c)
			bad++
		default:
			if err := readinessProbe(l, st, c)(); err != nil {
				fmt.Printf("%-24s UNREADY pid %v: %v\n", c, pids, err)
				bad++
			} else {
				fmt.Printf("%-24s ready   pid %v\n", c, pids)
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "kopp-controlplane status: %d component(s) down or not ready (logs in %s)\n", bad, filepath.Join(l.dir, "logs"))
		return 1
	}
	fmt.Printf("kube-apiserver %s; export KUBECONFIG=%s\n", st.APIServerURL, l.adminKubeconfig())
	return 0
}

func cmdRestartAPIServer(args []string) int {
	var o commonOpts
	fs := newFlagSet("restart-apiserver", &o)
	grace := fs.Duration("timeout", 20*time.Second, "how long to wait after SIGTERM before SIGKILL")
	apiTimeout := fs.Duration("apiserver-timeout", 90*time.Second, "how long to wait for /readyz")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, err := o.layout()
	if err != nil {
		return fail("restart-apiserver", err)
	}
	if !exists(l.statePath()) {
		return fail("restart-apiserver", fmt.Errorf("no control plane in %s; run up first", l.dir))
	}
	unlock, err := lockDir(l)
	if err != nil {
		return fail("restart-apiserver", err)
	}
	defer unlock()
	st := loadState(l)
	t0 := time.Now()
	if err := restartAPIServer(l, st, *grace, *apiTimeout); err != nil {
		reportError("restart-apiserver", err)
		return 1
	}
	fmt.Printf("kopp-controlplane: kube-apiserver restarted on %s in %.1fs (pid %d)\n", st.APIServerURL, time.Since(t0).Seconds(), st.PIDs[compAPIServer])
	return 0
}

// restartAPIServer stops kube-apiserver and starts it again on the same port
// with the same etcd. The caller holds the DIR lock.
func restartAPIServer(l layout, st *state, grace, timeout time.Duration) error {
	if len(findPIDs(l, compEtcd)) == 0 {
		return fmt.Errorf("etcd is not running for %s; use up", l.dir)
	}
	stopComponent(l, compAPIServer, st.PIDs[compAPIServer], grace, os.Stdout)
	delete(st.PIDs, compAPIServer)
	_ = saveState(l, st)
	// The port was just released; give the kernel a moment if needed.
	for i := 0; i < 100 && !portFree(st.Ports.APIServer); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	err := startAndWait(l, st, compAPIServer, timeout)
	_ = saveState(l, st)
	return err
}
