// Command kopp-controlplane is a multi-call binary holding a real local Kubernetes
// control plane (etcd, kube-apiserver, kube-controller-manager, kubectl) and a
// launcher that starts, checks and stops it for kopp's integration tests and demos.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const usage = `usage: kopp-controlplane <command> [flags]

Launcher:
  up                 --dir DIR   start etcd, kube-apiserver, kube-controller-manager
  down               --dir DIR   stop everything started for DIR (idempotent)
  status             --dir DIR   exit 0 when every component runs and is ready
  restart-apiserver  --dir DIR   restart kube-apiserver on the same port
  compact            --dir DIR   compact etcd at its current revision, restart kube-apiserver
  mint-kubeconfig    --dir DIR --namespace NS --serviceaccount SA --out FILE [--duration 1h]
  version                        print the Kubernetes and etcd versions

Components (each runs in its own process):
  etcd               embedded etcd server
  kube-apiserver     Kubernetes API server
  kube-controller-manager
  kubectl            Kubernetes CLI
`

func main() {
	// Multi-call: a symlink named after a component runs that component.
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "kopp-controlplane" || strings.HasPrefix(name, "kopp-controlplane") {
		if len(args) == 0 {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	os.Exit(dispatch(name, args))
}

func dispatch(name string, args []string) int {
	switch name {
	case "etcd":
		return runEtcd(args)
	case "kube-apiserver":
		return runKubeAPIServer(args)
	case "kube-controller-manager":
		return runKubeControllerManager(args)
	case "kubectl":
		return runKubectl(args)
	case "up":
		return cmdUp(args)
	case "down":
		return cmdDown(args)
	case "status":
		return cmdStatus(args)
	case "restart-apiserver":
		return cmdRestartAPIServer(args)
	case "compact":
		return cmdCompact(args)
	case "mint-kubeconfig":
		return cmdMintKubeconfig(args)
	case "version", "--version":
		return cmdVersion(args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "kopp-controlplane: unknown command %q\n\n%s", name, usage)
	return 2
}
