//! kube-rs' side of kopp's side-by-side benchmarks (bench/README.md): the same subcommands
//! and JSON-line output as bench/kopp/main.cpp, written the way kube-rs' documentation and
//! examples do it (reflector + watcher, Controller). kube-rs' client has no client-side rate
//! limit, so the QPS 500 / burst 1000 of the other SDKs has no counterpart here.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::reflector;
use kube::runtime::watcher::{self, watcher};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client, CustomResource, Resource, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

const MARKER_NAME: &str = "bench-marker";
const MARKER_ANNOTATION: &str = "bench.kopp.dev/marker";

#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, JsonSchema)]
#[kube(group = "bench.kopp.dev", version = "v1", kind = "Widget", namespaced, status = "WidgetStatus")]
pub struct WidgetSpec {
    pub value: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub payload: String,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, JsonSchema)]
pub struct WidgetStatus {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "handledBy")]
    pub handled_by: Option<String>,
}

static OUT: Mutex<()> = Mutex::new(());

/// One JSON line on stdout, flushed at once: the runner timestamps lines as they arrive.
fn emit(value: serde_json::Value) {
    let _guard = OUT.lock().unwrap();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", value);
    let _ = out.flush();
}

struct Args(HashMap<String, String>);

impl Args {
    fn parse() -> (String, Args) {
        let argv: Vec<String> = std::env::args().collect();
        let command = argv.get(1).cloned().unwrap_or_default();
        let mut values = HashMap::new();
        let mut i = 2;
        while i + 1 < argv.len() {
            values.insert(argv[i].trim_start_matches("--").to_string(), argv[i + 1].clone());
            i += 2;
        }
        (command, Args(values))
    }
    fn get(&self, key: &str, fallback: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| fallback.to_string())
    }
    fn number(&self, key: &str, fallback: f64) -> f64 {
        self.0.get(key).and_then(|v| v.parse().ok()).unwrap_or(fallback)
    }
}

// ---------------------------------------------------------------- cache (workloads 1, 4, 5)

/// Reports each new value of the marker object's annotation.
fn marker_seen<K: ResourceExt>(last: &mut String, obj: &K) {
    if obj.name_any() != MARKER_NAME {
        return;
    }
    if let Some(value) = obj.annotations().get(MARKER_ANNOTATION) {
        if value != last {
            *last = value.clone();
            emit(json!({"event": "marker", "value": value}));
        }
    }
}

async fn run_reflector<K>(stream: impl futures::Stream<Item = watcher::Result<watcher::Event<K>>> + Send)
    -> anyhow::Result<()>
where
    K: Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store::<K>();
    let mut last = String::new();
    let mut stream = std::pin::pin!(stream.default_backoff().reflect(writer).applied_objects());
    let sync_reader = reader.clone();
    tokio::spawn(async move {
        if sync_reader.wait_until_ready().await.is_ok() {
            emit(json!({"event": "synced", "objects": sync_reader.len()}));
        }
    });
    // Errors (API server gone, 410 Gone) are retried by the watcher after the backoff; an
    // operator logs them and keeps going.
    while let Some(item) = stream.next().await {
        match item {
            Ok(obj) => marker_seen(&mut last, &obj),
            Err(e) => eprintln!("watch error (retried): {e}"),
        }
    }
    Ok(())
}

async fn run_cache(client: Client, args: &Args) -> anyhow::Result<()> {
    let ns = args.get("namespace", "default");
    let config = watcher::Config::default();
    match args.get("mode", "strip").as_str() {
        "full" => run_reflector(watcher(Api::<ConfigMap>::namespaced(client, &ns), config)).await,
        "strip" => {
            let api = Api::<ConfigMap>::namespaced(client, &ns);
            run_reflector(watcher(api, config).modify(|cm: &mut ConfigMap| cm.managed_fields_mut().clear())).await
        }
        "meta" => {
            // Api<PartialObjectMeta<K>> makes metadata-only requests.
            let api = Api::<PartialObjectMeta<ConfigMap>>::namespaced(client, &ns);
            let stream = watcher(api, config)
                .modify(|m: &mut PartialObjectMeta<ConfigMap>| m.managed_fields_mut().clear());
            run_reflector(stream).await
        }
        other => anyhow::bail!("--mode must be full, strip or meta, not {other}"),
    }
}

// ------------------------------------------------------------ reconcile (workload 2)

struct StatusContext {
    client: Client,
    run_id: String,
    expect: usize,
    handled: Mutex<HashSet<String>>,
    done: tokio::sync::Notify,
}

async fn patch_status(widget: Arc<Widget>, ctx: Arc<StatusContext>) -> Result<Action, kube::Error> {
    if widget.status.as_ref().and_then(|s| s.handled_by.as_deref()) == Some(ctx.run_id.as_str()) {
        return Ok(Action::await_change());
    }
    let name = widget.name_any();
    let api: Api<Widget> = Api::namespaced(ctx.client.clone(), &widget.namespace().unwrap_or_default());
    let patch = json!({"status": {"handledBy": ctx.run_id}});
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    let done = {
        let mut handled = ctx.handled.lock().unwrap();
        handled.insert(name);
        handled.len()
    };
    if done == ctx.expect {
        emit(json!({"event": "reconciled", "count": done}));
        ctx.done.notify_one();
    }
    Ok(Action::await_change())
}

fn retry<K, C>(_: Arc<K>, _: &kube::Error, _: Arc<C>) -> Action {
    Action::requeue(Duration::from_millis(100))
}

async fn run_reconcile(client: Client, args: &Args) -> anyhow::Result<()> {
    let ns = args.get("namespace", "default");
    let ctx = Arc::new(StatusContext {
        client: client.clone(),
        run_id: args.get("run-id", "run"),
        expect: args.number("expect", 0.0) as usize,
        handled: Mutex::new(HashSet::new()),
        done: tokio::sync::Notify::new(),
    });
    let config = ControllerConfig::default().concurrency(args.number("workers", 1.0) as u16);
    let controller = Controller::new(Api::<Widget>::namespaced(client, &ns), watcher::Config::default())
        .with_config(config)
        .run(patch_status, retry, ctx.clone())
        .for_each(|_| futures::future::ready(()));
    tokio::select! {
        _ = controller => {},
        _ = ctx.done.notified() => {},
    }
    Ok(())
}

// ------------------------------------------------------------- latency (workload 3)

/// When each (object, resourceVersion) was seen by the writer (its update returned) and by
/// the reconciler (a reconcile started), on the same monotonic clock.
#[derive(Default)]
struct Timeline {
    written: HashMap<(String, String), Instant>,
    reconciled: HashMap<(String, String), Instant>,
}

async fn record(cm: Arc<ConfigMap>, t: Arc<Mutex<Timeline>>) -> Result<Action, kube::Error> {
    let now = Instant::now();
    let key = (cm.name_any(), cm.resource_version().unwrap_or_default());
    t.lock().unwrap().reconciled.entry(key).or_insert(now);
    Ok(Action::await_change())
}

async fn run_latency(client: Client, args: &Args) -> anyhow::Result<()> {
    let ns = args.get("namespace", "default");
    let rate = args.number("rate", 100.0);
    let seconds = args.number("seconds", 5.0);
    let objects = args.number("objects", 200.0) as i64;
    let timeline = Arc::new(Mutex::new(Timeline::default()));
    let controller = Controller::new(Api::<ConfigMap>::namespaced(client.clone(), &ns), watcher::Config::default());
    let store = controller.store();
    let running = controller.run(record, retry, timeline.clone()).for_each(|_| futures::future::ready(()));
    let writer = {
        let timeline = timeline.clone();
        let ns = ns.clone();
        async move {
            let _ = store.wait_until_ready().await;
            emit(json!({"event": "synced"}));
            // The writer is the workload, not the operator: its own client.
            let writer_client = Client::try_default().await.expect("client");
            let api: Api<ConfigMap> = Api::namespaced(writer_client, &ns);
            let total = (rate * seconds) as i64;
            let sent = Arc::new(AtomicI64::new(0));
            let failed = Arc::new(AtomicI64::new(0));
            let limit = Arc::new(tokio::sync::Semaphore::new(32));
            let start = Instant::now();
            let mut tasks = Vec::with_capacity(total as usize);
            let mut issued = 0i64;
            while issued < total {
                let due = ((start.elapsed().as_secs_f64() * rate) as i64 + 1).min(total);
                while issued < due {
                    let permit = limit.clone().acquire_owned().await.unwrap();
                    let (api, timeline, sent, failed) = (api.clone(), timeline.clone(), sent.clone(), failed.clone());
                    let seq = issued;
                    issued += 1;
                    tasks.push(tokio::spawn(async move {
                        let name = format!("lat-{}", seq % objects);
                        let patch = json!({"data": {"seq": seq.to_string()}});
                        match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                            Ok(cm) => {
                                let now = Instant::now();
                                let rv = cm.resource_version().unwrap_or_default();
                                timeline.lock().unwrap().written.insert((name, rv), now);
                                sent.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        drop(permit);
                    }));
                }
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            for task in tasks {
                let _ = task.await;
            }
            let took = start.elapsed().as_secs_f64();
            tokio::time::sleep(Duration::from_secs(2)).await;
            let t = timeline.lock().unwrap();
            let mut latencies: Vec<i64> = t
                .written
                .iter()
                .filter_map(|(k, w)| {
                    t.reconciled.get(k).map(|r| {
                        if r >= w {
                            r.duration_since(*w).as_micros() as i64
                        } else {
                            -(w.duration_since(*r).as_micros() as i64)
                        }
                    })
                })
                .collect();
            latencies.sort();
            emit(json!({"event": "latency", "writes": sent.load(Ordering::Relaxed),
                        "failed": failed.load(Ordering::Relaxed), "write_seconds": took,
                        "matched": latencies.len(), "latency_us": latencies}));
        }
    };
    tokio::select! {
        _ = running => {},
        _ = writer => {},
    }
    Ok(())
}

// ----------------------------------------------------- first reconcile (workload 4)

async fn first(cm: Arc<ConfigMap>, done: Arc<tokio::sync::Notify>) -> Result<Action, kube::Error> {
    emit(json!({"event": "reconciled", "name": cm.name_any()}));
    done.notify_one();
    Ok(Action::await_change())
}

async fn run_first(client: Client, args: &Args) -> anyhow::Result<()> {
    let ns = args.get("namespace", "default");
    let done = Arc::new(tokio::sync::Notify::new());
    let controller = Controller::new(Api::<ConfigMap>::namespaced(client, &ns), watcher::Config::default())
        .run(first, retry, done.clone())
        .for_each(|_| futures::future::ready(()));
    tokio::select! {
        _ = controller => {},
        _ = done.notified() => {},
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let (command, args) = Args::parse();
    let result = async {
        let client = Client::try_default().await?;
        match command.as_str() {
            "cache" => {
                tokio::select! {
                    r = run_cache(client, &args) => r,
                    _ = tokio::signal::ctrl_c() => Ok(()),
                }
            }
            "reconcile" => run_reconcile(client, &args).await,
            "latency" => run_latency(client, &args).await,
            "first" => run_first(client, &args).await,
            other => anyhow::bail!("unknown command {other}: cache|reconcile|latency|first"),
        }
    }
    .await;
    if let Err(e) = result {
        emit(json!({"event": "error", "message": e.to_string()}));
        std::process::exit(1);
    }
    let _ = Widget::api_version(&());
}
