package main

// The Kubernetes components are linked into this one binary. Each runs in its own
// process: they install process-wide signal handlers and global flag/metric state,
// so the launcher always starts them as separate child processes of this binary.

import (
	"os"
	_ "time/tzdata" // CronJob time zone support

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"

	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl auth plugins
)

// runKubeAPIServer runs kube-apiserver with args (os.Args is rewritten so that
// cobra sees only the component's own flags).
func runKubeAPIServer(args []string) int {
	os.Args = append([]string{"kube-apiserver"}, args...)
	return cli.Run(apiserverapp.NewAPIServerCommand())
}

func runKubeControllerManager(args []string) int {
	os.Args = append([]string{"kube-controller-manager"}, args...)
	return cli.Run(kcmapp.NewControllerManagerCommand())
}

func runKubectl(args []string) int {
	os.Args = append([]string{"kubectl"}, args...)
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) //nolint:errcheck
	command := kubectlcmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err) // prints and exits non-zero
		return 1
	}
	return 0
}
