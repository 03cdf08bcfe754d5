// controller-runtime's side of kopp's side-by-side benchmarks (bench/README.md). The same
// subcommands and JSON-line output as bench/kopp/main.cpp, written the way
// controller-runtime's documentation recommends: a manager, its cache, controllers built
// with the builder. Client: QPS 500, burst 1000, as for every SDK in the comparison.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

const (
	markerName       = "bench-marker"
	markerAnnotation = "bench.kopp.dev/marker"
)

var outMu sync.Mutex

// emit writes one JSON line on stdout: the runner timestamps lines as they arrive.
func emit(fields map[string]any) {
	b, _ := json.Marshal(fields)
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

func fail(err error) {
	emit(map[string]any{"event": "error", "message": err.Error()})
	os.Exit(1)
}

func newManager(namespace string, opts cache.Options) ctrl.Manager {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fail(err)
	}
	cfg.QPS = 500
	cfg.Burst = 1000
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		fail(err)
	}
	if err := schemeBuilder.AddToScheme(scheme); err != nil {
		fail(err)
	}
	opts.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme,
		Cache:   opts,
		Metrics: metricsserver.Options{BindAddress: "0"}, // no listener (kopp's default too)
	})
	if err != nil {
		fail(err)
	}
	return mgr
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// ---------------------------------------------------------------- cache (workloads 1, 4, 5)

func runCache(namespace, mode string) {
	var opts cache.Options
	var obj client.Object
	switch mode {
	case "full":
		obj = &corev1.ConfigMap{}
	case "strip":
		opts.DefaultTransform = cache.TransformStripManagedFields()
		obj = &corev1.ConfigMap{}
	case "meta":
		meta := &metav1.PartialObjectMetadata{}
		meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
		obj = meta
	default:
		fail(fmt.Errorf("--mode must be full, strip or meta"))
	}
	mgr := newManager(namespace, opts)
	ctx, cancel := signalContext()
	defer cancel()
	informer, err := mgr.GetCache().GetInformer(ctx, obj)
	if err != nil {
		fail(err)
	}
	var lastMu sync.Mutex
	last := ""
	seen := func(o any) {
		m, ok := o.(metav1.Object)
		if !ok || m.GetName() != markerName {
			return
		}
		v := m.GetAnnotations()[markerAnnotation]
		lastMu.Lock()
		defer lastMu.Unlock()
		if v == "" || v == last {
			return
		}
		last = v
		emit(map[string]any{"event": "marker", "value": v})
	}
	if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    seen,
		UpdateFunc: func(_, o any) { seen(o) },
	}); err != nil {
		fail(err)
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fail(err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		fail(fmt.Errorf("cache did not sync"))
	}
	count := 0
	if mode == "meta" {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMapList"))
		if err := mgr.GetCache().List(ctx, list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
			fail(err)
		}
		count = len(list.Items)
	} else {
		list := &corev1.ConfigMapList{}
		if err := mgr.GetCache().List(ctx, list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
			fail(err)
		}
		count = len(list.Items)
	}
	emit(map[string]any{"event": "synced", "objects": count})
	<-ctx.Done()
}

// ------------------------------------------------------------ reconcile (workload 2)

type statusReconciler struct {
	client.Client
	runID   string
	expect  int
	cancel  context.CancelFunc
	mu      sync.Mutex
	handled map[string]struct{}
}

func (r *statusReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var w Widget
	if err := r.Get(ctx, req.NamespacedName, &w); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if w.Status.HandledBy == r.runID {
		return reconcile.Result{}, nil
	}
	patch := client.MergeFrom(w.DeepCopy())
	w.Status.HandledBy = r.runID
	if err := r.Status().Patch(ctx, &w, patch); err != nil {
		return reconcile.Result{}, err
	}
	r.mu.Lock()
	r.handled[req.Name] = struct{}{}
	done := len(r.handled)
	r.mu.Unlock()
	if done == r.expect {
		emit(map[string]any{"event": "reconciled", "count": done})
		r.cancel()
	}
	return reconcile.Result{}, nil
}

func runReconcile(namespace string, expect, workers int, runID string) {
	mgr := newManager(namespace, cache.Options{})
	ctx, cancel := signalContext()
	defer cancel()
	r := &statusReconciler{Client: mgr.GetClient(), runID: runID, expect: expect, cancel: cancel,
		handled: map[string]struct{}{}}
	if err := ctrl.NewControllerManagedBy(mgr).For(&Widget{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).Complete(r); err != nil {
		fail(err)
	}
	if err := mgr.Start(ctx); err != nil {
		fail(err)
	}
}

// ------------------------------------------------------------- latency (workload 3)

type version struct{ name, rv string }

// timeline: when each (object, resourceVersion) was seen by the writer (its update returned)
// and by the reconciler (a reconcile started), on the same monotonic clock.
type timeline struct {
	mu         sync.Mutex
	written    map[version]time.Time
	reconciled map[version]time.Time
}

type recordingReconciler struct {
	client.Client
	t *timeline
}

func (r *recordingReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	now := time.Now()
	var cm corev1.ConfigMap
	if err := r.Get(ctx, req.NamespacedName, &cm); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	r.t.mu.Lock()
	if _, ok := r.t.reconciled[version{cm.Name, cm.ResourceVersion}]; !ok {
		r.t.reconciled[version{cm.Name, cm.ResourceVersion}] = now
	}
	r.t.mu.Unlock()
	return reconcile.Result{}, nil
}

func runLatency(namespace string, rate, seconds float64, objects int) {
	mgr := newManager(namespace, cache.Options{})
	ctx, cancel := signalContext()
	defer cancel()
	t := &timeline{written: map[version]time.Time{}, reconciled: map[version]time.Time{}}
	if err := ctrl.NewControllerManagedBy(mgr).Named("latency").For(&corev1.ConfigMap{}).
		Complete(&recordingReconciler{Client: mgr.GetClient(), t: t}); err != nil {
		fail(err)
	}
	go func() {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			fail(fmt.Errorf("cache did not sync"))
		}
		emit(map[string]any{"event": "synced"})
		// The writer is the workload, not the operator: its own client, no rate limit.
		cfg := ctrl.GetConfigOrDie()
		cfg.QPS = -1
		writer, err := client.New(cfg, client.Options{})
		if err != nil {
			fail(err)
		}
		total := int(rate * seconds)
		var sent, failed atomic.Int64
		sem := make(chan struct{}, 32) // the same cap in every SDK's writer
		var wg sync.WaitGroup
		start := time.Now()
		for issued := 0; issued < total; {
			due := int(time.Since(start).Seconds()*rate) + 1
			if due > total {
				due = total
			}
			for ; issued < due; issued++ {
				sem <- struct{}{}
				wg.Add(1)
				go func(seq int) {
					defer wg.Done()
					defer func() { <-sem }()
					cm := &corev1.ConfigMap{}
					cm.Namespace = namespace
					cm.Name = "lat-" + strconv.Itoa(seq%objects)
					body := fmt.Sprintf(`{"data":{"seq":"%d"}}`, seq)
					if err := writer.Patch(ctx, cm, client.RawPatch(types.MergePatchType, []byte(body))); err != nil {
						failed.Add(1)
						return
					}
					now := time.Now()
					t.mu.Lock()
					t.written[version{cm.Name, cm.ResourceVersion}] = now
					t.mu.Unlock()
					sent.Add(1)
				}(issued)
			}
			time.Sleep(500 * time.Microsecond)
		}
		wg.Wait()
		took := time.Since(start).Seconds()
		time.Sleep(2 * time.Second)
		lat := []int64{}
		t.mu.Lock()
		for v, w := range t.written {
			if r, ok := t.reconciled[v]; ok {
				lat = append(lat, r.Sub(w).Microseconds())
			}
		}
		t.mu.Unlock()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		emit(map[string]any{"event": "latency", "writes": sent.Load(), "failed": failed.Load(),
			"write_seconds": took, "matched": len(lat), "latency_us": lat})
		cancel()
	}()
	if err := mgr.Start(ctx); err != nil {
		fail(err)
	}
}

// ----------------------------------------------------- first reconcile (workload 4)

type firstReconciler struct {
	once   sync.Once
	cancel context.CancelFunc
}

func (r *firstReconciler) Reconcile(_ context.Context, req reconcile.Request) (reconcile.Result, error) {
	r.once.Do(func() {
		emit(map[string]any{"event": "reconciled", "name": req.Name})
		r.cancel()
	})
	return reconcile.Result{}, nil
}

func runFirst(namespace string) {
	mgr := newManager(namespace, cache.Options{})
	ctx, cancel := signalContext()
	defer cancel()
	if err := ctrl.NewControllerManagedBy(mgr).Named("first").For(&corev1.ConfigMap{}).
		Complete(&firstReconciler{cancel: cancel}); err != nil {
		fail(err)
	}
	if err := mgr.Start(ctx); err != nil {
		fail(err)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: controller-runtime-bench cache|reconcile|latency|first --flag value ...")
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.Level(zapcore.WarnLevel)))
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	namespace := fs.String("namespace", "default", "")
	mode := fs.String("mode", "strip", "")
	expect := fs.Int("expect", 0, "")
	workers := fs.Int("workers", 1, "")
	runID := fs.String("run-id", "run", "")
	rate := fs.Float64("rate", 100, "")
	seconds := fs.Float64("seconds", 5, "")
	objects := fs.Int("objects", 200, "")
	_ = fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "cache":
		runCache(*namespace, *mode)
	case "reconcile":
		runReconcile(*namespace, *expect, *workers, *runID)
	case "latency":
		runLatency(*namespace, *rate, *seconds, *objects)
	case "first":
		runFirst(*namespace)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
