#pragma once
// The client layer: configuration, transport, Client, Api<K>, DynamicApi and discovery.

#include <kopp/client/api.hpp>
#include <kopp/client/api_resource.hpp>
#include <kopp/client/backoff.hpp>
#include <kopp/client/client.hpp>
#include <kopp/client/config.hpp>
#include <kopp/client/discovery.hpp>
#include <kopp/client/dynamic_api.hpp>
#include <kopp/client/error.hpp>
#include <kopp/client/in_cluster.hpp>
#include <kopp/client/kubeconfig.hpp>
#include <kopp/client/params.hpp>
#include <kopp/client/token_bucket.hpp>
#include <kopp/client/http1_transport.hpp>
#include <kopp/client/http2_transport.hpp>
#include <kopp/client/transport.hpp>
#include <kopp/client/watch_decoder.hpp>
#include <kopp/client/watch_stream.hpp>
