#!/usr/bin/env python3
"""Writes a PodList of N realistic pods (about 4 KB of JSON each, with managedFields) to a file.

    make_podlist.py OUT.json [N]

Deterministic (fixed seed), standard library only; nothing is downloaded.
"""
import json
import random
import sys


def pod(i, rnd):
    app = rnd.choice(["web", "api", "worker", "cache", "db"])
    name = "%s-%08x-%05x" % (app, rnd.getrandbits(32), rnd.getrandbits(20))
    ns = "team-%d" % (i % 37)
    uid = "%08x-%04x-4%03x-a%03x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12),
                                           rnd.getrandbits(12), rnd.getrandbits(48))
    ts = "2026-0%d-%02dT%02d:%02d:%02dZ" % (1 + i % 9, 1 + i % 28, i % 24, i % 60, (i * 7) % 60)
    node = "node-%03d" % (i % 250)
    ip = "10.%d.%d.%d" % (i % 250, (i // 250) % 250, 1 + i % 253)
    containers = [{
        "name": app,
        "image": "registry.example.com/%s:1.%d.%d" % (app, i % 20, i % 7),
        "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", "--log-level=info"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "production"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5,
                           "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [{"name": "kube-api-access-%05x" % (i % 99999), "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }]
    return {
        "metadata": {
            "name": name, "generateName": name[:-5], "namespace": ns, "uid": uid,
            "resourceVersion": str(100000 + i), "creationTimestamp": ts,
            "labels": {"app": app, "pod-template-hash": name.split("-")[1], "tier": "backend"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": ts},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name[:-6],
                                 "uid": uid[::-1], "controller": True, "blockOwnerDeletion": True}],
            "managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": ts,
                 "fieldsType": "FieldsV1", "fieldsV1": {
                     "f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
                                    "f:ownerReferences": {".": {}, "k:{\"uid\":\"%s\"}" % uid[::-1]: {}}},
                     "f:spec": {"f:containers": {"k:{\"name\":\"%s\"}" % app: {
                         ".": {}, "f:args": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                         "f:ports": {".": {}, "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}},
                         "f:resources": {".": {}, "f:limits": {".": {}, "f:cpu": {}, "f:memory": {}}}}},
                         "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}}}},
                {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": ts,
                 "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {
                     "f:status": {"f:conditions": {"k:{\"type\":\"Ready\"}": {".": {}, "f:lastProbeTime": {},
                                                                              "f:lastTransitionTime": {}, "f:status": {},
                                                                              "f:type": {}}},
                                  "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {}, "f:podIP": {},
                                  "f:podIPs": {".": {}, "k:{\"ip\":\"%s\"}" % ip: {".": {}, "f:ip": {}}},
                                  "f:startTime": {}}}},
            ],
        },
        "spec": {
            "containers": containers,
            "volumes": [{"name": "kube-api-access-%05x" % (i % 99999), "projected": {
                "defaultMode": 420,
                "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "serviceAccount": "default", "nodeName": node,
            "securityContext": {}, "schedulerName": "default-scheduler",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
            "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": ts}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "hostIP": "192.168.%d.%d" % (i % 250, 1 + i % 250), "podIP": ip, "podIPs": [{"ip": ip}],
            "startTime": ts,
            "containerStatuses": [{"name": app, "ready": True, "restartCount": i % 3, "started": True,
                                   "state": {"running": {"startedAt": ts}},
                                   "image": containers[0]["image"],
                                   "imageID": "registry.example.com/%s@sha256:%064x" % (app, rnd.getrandbits(256)),
                                   "containerID": "containerd://%064x" % rnd.getrandbits(256)}],
            "qosClass": "Burstable",
        },
    }


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rnd = random.Random(4)
    doc = {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "200000"},
           "items": [pod(i, rnd) for i in range(n)]}
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
