package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	etcdversion "go.etcd.io/etcd/api/v3/version"
	clientv3 "go.etcd.io/etcd/client/v3"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/component-base/version"
)

func kubernetesVersion() string { return version.Get().GitVersion }
func etcdVersion() string       { return etcdversion.Version }

func cmdVersion(args []string) int {
	v := version.Get()
	fmt.Printf("kopp-controlplane: Kubernetes %s, etcd %s (%s, %s)\n", v.GitVersion, etcdVersion(), v.GoVersion, v.Platform)
	return 0
}

// writeKubeconfigs writes DIR/admin.kubeconfig (kopp-admin, system:masters) and
// the controller manager's kubeconfig. Certificates are embedded, so a file is
// self-contained and can be copied elsewhere.
func writeKubeconfigs(l layout, st *state) error {
	p := l.pki()
	if err := writeCertKubeconfig(l.adminKubeconfig(), "kopp", st.APIServerURL, p.caCert(), "kopp-admin", p.adminCert(), p.adminKey(), "default"); err != nil {
		return err
	}
	return writeCertKubeconfig(l.kcmKubeconfig(), "kopp", st.APIServerURL, p.caCert(), "system:kube-controller-manager", p.kcmCert(), p.kcmKey(), "")
}

func writeCertKubeconfig(path, cluster, server, caFile, user, certFile, keyFile, namespace string) error {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	cfg := newKubeconfig(cluster, server, ca, user, namespace)
	cfg.AuthInfos[user].ClientCertificateData = cert
	cfg.AuthInfos[user].ClientKeyData = key
	return writeKubeconfigFile(path, cfg)
}

func newKubeconfig(cluster, server string, ca []byte, user, namespace string) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cluster] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{}
	ctxName := user + "@" + cluster
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: user, Namespace: namespace}
	cfg.CurrentContext = ctxName
	return cfg
}

func writeKubeconfigFile(path string, cfg *clientcmdapi.Config) error {
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ---------------------------------------------------------------------------
// compact

// etcd key that kube-apiserver uses to coordinate compactions between API
// servers; the watch cache learns the compacted revision from it.
const compactRevKey = "compact_rev_key"

func cmdCompact(args []string) int {
	var o commonOpts
	fs := newFlagSet("compact", &o)
	restart := fs.Bool("restart-apiserver", true, "restart kube-apiserver afterwards, so that its watch caches start from the compacted revision")
	grace := fs.Duration("timeout", 20*time.Second, "how long to wait after SIGTERM before SIGKILL (restart)")
	apiTimeout := fs.Duration("apiserver-timeout", 90*time.Second, "how long to wait for /readyz (restart)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, err := o.layout()
	if err != nil {
		return fail("compact", err)
	}
	if !exists(l.statePath()) {
		return fail("compact", fmt.Errorf("no control plane in %s", l.dir))
	}
	unlock, err := lockDir(l)
	if err != nil {
		return fail("compact", err)
	}
	defer unlock()
	st := loadState(l)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{l.etcdURL(st)},
		DialTimeout: 5 * time.Second,
		Logger:      nil,
	})
	if err != nil {
		return fail("compact", err)
	}
	defer cli.Close()
	rev, err := compactNow(ctx, cli)
	if err != nil {
		return fail("compact", fmt.Errorf("etcd at %s: %w", l.etcdURL(st), err))
	}
	fmt.Printf("kopp-controlplane: compacted etcd at revision %d\n", rev)
	if *restart {
		// kube-apiserver serves watches from its watch cache, which keeps a
		// window of recent events regardless of etcd compactions. A restarted
		// server's caches start at the current revision, so from then on a
		// watch from before the compaction gets 410 Gone, as it does from etcd.
		t0 := time.Now()
		if err := restartAPIServer(l, st, *grace, *apiTimeout); err != nil {
			reportError("compact", err)
			return 1
		}
		fmt.Printf("kopp-controlplane: kube-apiserver restarted in %.1fs so that its watch caches forget older revisions\n", time.Since(t0).Seconds())
	}
	return 0
}

// compactNow compacts at the current revision the way kube-apiserver's own
// compactor does: it first records the revision under compact_rev_key (a
// compare-and-swap on the key's version), so that running API servers learn
// about it and drop older events from their watch caches (they poll every
// ~15s), then compacts etcd physically.
func compactNow(ctx context.Context, cli *clientv3.Client) (int64, error) {
	for attempt := 0; attempt < 5; attempt++ {
		get, err := cli.Get(ctx, compactRevKey)
		if err != nil {
			return 0, err
		}
		var ver int64
		if len(get.Kvs) > 0 {
			ver = get.Kvs[0].Version
		}
		rev := get.Header.Revision
		txn, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.Version(compactRevKey), "=", ver)).
			Then(clientv3.OpPut(compactRevKey, strconv.FormatInt(rev, 10))).
			Commit()
		if err != nil {
			return 0, err
		}
		if !txn.Succeeded {
			continue // an API server compacted concurrently; retry
		}
		if _, err := cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
			return 0, err
		}
		return rev, nil
	}
	return 0, errors.New("could not record the compaction revision (concurrent compactions)")
}

// ---------------------------------------------------------------------------
// mint-kubeconfig

func cmdMintKubeconfig(args []string) int {
	var o commonOpts
	fs := newFlagSet("mint-kubeconfig", &o)
	ns := fs.String("namespace", "default", "namespace of the ServiceAccount (created when missing)")
	sa := fs.String("serviceaccount", "", "ServiceAccount name (created when missing)")
	out := fs.String("out", "", "kubeconfig file to write")
	dur := fs.Duration("duration", time.Hour, "token lifetime (the API server enforces at least 10m)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, err := o.layout()
	if err != nil {
		return fail("mint-kubeconfig", err)
	}
	if *sa == "" || *out == "" {
		return fail("mint-kubeconfig", errors.New("--serviceaccount and --out are required"))
	}
	restCfg, err := clientcmd.BuildConfigFromFlags("", l.adminKubeconfig())
	if err != nil {
		return fail("mint-kubeconfig", fmt.Errorf("reading %s: %w (is the control plane up?)", l.adminKubeconfig(), err))
	}
	restCfg.Timeout = 15 * time.Second
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fail("mint-kubeconfig", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: *ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fail("mint-kubeconfig", fmt.Errorf("create namespace %s: %w", *ns, err))
	}
	if _, err := cs.CoreV1().ServiceAccounts(*ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: *sa}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fail("mint-kubeconfig", fmt.Errorf("create serviceaccount %s/%s: %w", *ns, *sa, err))
	}
	secs := int64(dur.Seconds())
	tr, err := cs.CoreV1().ServiceAccounts(*ns).CreateToken(ctx, *sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs},
	}, metav1.CreateOptions{})
	if err != nil {
		return fail("mint-kubeconfig", fmt.Errorf("token request for %s/%s: %w", *ns, *sa, err))
	}
	ca := restCfg.CAData
	if len(ca) == 0 && restCfg.CAFile != "" {
		if ca, err = os.ReadFile(restCfg.CAFile); err != nil {
			return fail("mint-kubeconfig", err)
		}
	}
	user := "system:serviceaccount:" + *ns + ":" + *sa
	cfg := newKubeconfig("kopp", restCfg.Host, ca, user, *ns)
	cfg.AuthInfos[user].Token = tr.Status.Token
	if err := writeKubeconfigFile(*out, cfg); err != nil {
		return fail("mint-kubeconfig", err)
	}
	fmt.Printf("kopp-controlplane: wrote %s for %s (token expires %s)\n", *out, user, tr.Status.ExpirationTimestamp.UTC().Format(time.RFC3339))
	return 0
}
