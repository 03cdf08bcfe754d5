#pragma once
// Typed admission webhooks for a kind K, as controller-runtime's CustomDefaulter and
// CustomValidator: a Defaulter<K> sets defaults on a copy of the object and kopp answers
// the JSON patch of what it changed; a Validator<K> allows or denies creates, updates (it
// sees the old object too) and deletes.
//
//   class MemcachedValidator : public kopp::Validator<Memcached> {
//     kopp::Verdict validate_create(const Memcached& m, const kopp::AdmissionRequest&) override {
//       if (m.spec.size > 10) return kopp::Verdict::invalid({{"spec.size", "must be at most 10"}});
//       return kopp::Verdict::allow();
//     }
//   };
//   manager.webhook<Memcached>().validator(std::make_shared<MemcachedValidator>()).build();
//
// Both run on the webhook server's connection, synchronously: read from the cache, do not
// call the API server or block (the API server waits at most the webhook's timeoutSeconds).
// An exception a defaulter or validator throws denies the request with its message. An
// object that does not decode into K is answered 400 naming the field.

#include <kopp/core/json.hpp>
#include <kopp/core/resource.hpp>
#include <kopp/runtime/webhook/admission.hpp>
#include <kopp/runtime/webhook/https_server.hpp>
#include <kopp/runtime/webhook/webhook_configuration.hpp>

#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kopp {

template <Resource K>
class Defaulter {
 public:
  virtual ~Defaulter() = default;
  /// Sets defaults on `object`, the request's object decoded (CREATE and UPDATE).
  virtual void default_object(K& object, const AdmissionRequest& request) = 0;
};

template <Resource K>
class Validator {
 public:
  virtual ~Validator() = default;
  virtual Verdict validate_create(const K& object, const AdmissionRequest& request) {
    (void)object, (void)request;
    return Verdict::allow();
  }
  virtual Verdict validate_update(const K& old_object, const K& object, const AdmissionRequest& request) {
    (void)old_object, (void)object, (void)request;
    return Verdict::allow();
  }
  virtual Verdict validate_delete(const K& object, const AdmissionRequest& request) {
    (void)object, (void)request;
    return Verdict::allow();
  }
};

namespace admission_detail {

inline std::string path_segment(std::string_view group, std::string_view version, std::string_view kind) {
  std::string out;
  for (char c : group) out += c == '.' ? '-' : c;
  out += '-';
  out += version;
  out += '-';
  for (char c : kind) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Decodes the request's `json` into K, or the 400 verdict that says why not.
template <Resource K>
std::optional<Verdict> decode(const boost::json::value& json, K& out, std::string_view which) {
  if (!json.is_object()) return Verdict::error(400, "the admission request carries no " + std::string(which));
  try {
    from_json(json, out);
  } catch (const std::exception& e) {
    return Verdict::error(400, "cannot decode the " + std::string(which) + " as " +
                                   std::string(resource_traits<K>::kind) + ": " + e.what());
  }
  return std::nullopt;
}

template <Resource K>
std::optional<Verdict> check_kind(const AdmissionRequest& request) {
  const auto expected = gvk_of<K>();
  if (request.kind == expected) return std::nullopt;
  return Verdict::error(400, "this webhook admits " + expected.to_string() + ", not " + request.kind.to_string() +
                                 " (check the rules of its webhook configuration)");
}

}  // namespace admission_detail

/// "/mutate-<group, dots as dashes>-<version>-<kind in lower case>", controller-runtime's path.
template <Resource K>
[[nodiscard]] std::string mutating_webhook_path() {
  using t = resource_traits<K>;
  return "/mutate-" + admission_detail::path_segment(t::group, t::version, t::kind);
}

/// "/validate-<group, dots as dashes>-<version>-<kind in lower case>".
template <Resource K>
[[nodiscard]] std::string validating_webhook_path() {
  using t = resource_traits<K>;
  return "/validate-" + admission_detail::path_segment(t::group, t::version, t::kind);
}

/// The admission handler that runs `defaulter` on CREATE and UPDATE and answers the patch.
template <Resource K>
[[nodiscard]] AdmissionHandler defaulting_admission(std::shared_ptr<Defaulter<K>> defaulter) {
  if (!defaulter) throw std::invalid_argument("defaulting_admission(nullptr)");
  return [defaulter](const AdmissionRequest& request) -> Verdict {
    if (request.operation != AdmissionOperation::create && request.operation != AdmissionOperation::update)
      return Verdict::allow();
    if (auto wrong = admission_detail::check_kind<K>(request)) return *wrong;
    K object;
    if (auto bad = admission_detail::decode(request.object, object, "object")) return *bad;
    const boost::json::value decoded = to_json(object);
    defaulter->default_object(object, request);
    Verdict verdict = Verdict::allow();
    verdict.patch = defaulting_patch(request.object, decoded, to_json(object));
    return verdict;
  };
}

/// The admission handler that asks `validator` about CREATE, UPDATE and DELETE.
template <Resource K>
[[nodiscard]] AdmissionHandler validating_admission(std::shared_ptr<Validator<K>> validator) {
  if (!validator) throw std::invalid_argument("validating_admission(nullptr)");
  return [validator](const AdmissionRequest& request) -> Verdict {
    if (auto wrong = admission_detail::check_kind<K>(request)) return *wrong;
    switch (request.operation) {
      case AdmissionOperation::create: {
        K object;
        if (auto bad = admission_detail::decode(request.object, object, "object")) return *bad;
        return validator->validate_create(object, request);
      }
      case AdmissionOperation::update: {
        K object;
        K old_object;
        if (auto bad = admission_detail::decode(request.object, object, "object")) return *bad;
        if (auto bad = admission_detail::decode(request.old_object, old_object, "old object")) return *bad;
        return validator->validate_update(old_object, object, request);
      }
      case AdmissionOperation::delete_: {
        // The API server sends the object being deleted as oldObject.
        K object;
        if (auto bad = admission_detail::decode(request.old_object, object, "old object")) return *bad;
        return validator->validate_delete(object, request);
      }
      case AdmissionOperation::connect:
        break;
    }
    return Verdict::allow();
  };
}

/// A defaulter from a function: kopp::make_defaulter<K>([](K& object, const AdmissionRequest&) { ... }).
template <Resource K, class F>
[[nodiscard]] std::shared_ptr<Defaulter<K>> make_defaulter(F function) {
  struct FunctionDefaulter final : Defaulter<K> {
    explicit FunctionDefaulter(F f) : f(std::move(f)) {}
    void default_object(K& object, const AdmissionRequest& request) override { f(object, request); }
    F f;
  };
  return std::make_shared<FunctionDefaulter>(std::move(function));
}

/// Registers K's defaulting and validating webhooks on an HTTPS server at their
/// controller-runtime paths (Manager::webhook<K>() makes one for the manager's server), and
/// records their declarations (AdmissionWebhook: rules, failure policy, ...) for the
/// webhook configurations generated from them. Made from a WebhookDeclarations, it only
/// records (the manifest generator's side).
template <Resource K>
class WebhookBuilder {
 public:
  WebhookBuilder(HttpsServer& server, Logger logger, std::vector<AdmissionWebhook>* declarations = nullptr)
      : server_(&server), logger_(std::move(logger)), declarations_(declarations) {}
  /// Records what build() declares in `declarations` and serves nothing.
  explicit WebhookBuilder(std::vector<AdmissionWebhook>& declarations) : declarations_(&declarations) {}

  WebhookBuilder& defaulter(std::shared_ptr<Defaulter<K>> d) {
    defaulter_ = std::move(d);
    return *this;
  }
  /// A function void(K&, const AdmissionRequest&) as the defaulter.
  template <class F>
  requires std::is_invocable_v<F&, K&, const AdmissionRequest&> WebhookBuilder& defaulter(F function) {
    return defaulter(make_defaulter<K>(std::move(function)));
  }
  WebhookBuilder& validator(std::shared_ptr<Validator<K>> v) {
    validator_ = std::move(v);
    return *this;
  }
  /// What the API server does when the webhook cannot be called (default: fail the request).
  WebhookBuilder& failure_policy(FailurePolicy policy) {
    failure_policy_ = policy;
    return *this;
  }
  /// How long the API server waits (1..30 s; default 10).
  WebhookBuilder& timeout_seconds(int seconds) {
    timeout_seconds_ = seconds;
    return *this;
  }
  /// Calls the webhooks only for requests that meet a CEL condition.
  WebhookBuilder& match_condition(std::string name, std::string expression) {
    match_conditions_.push_back({std::move(name), std::move(expression)});
    return *this;
  }
  /// LabelSelectors (JSON) on the object's namespace and on the object.
  WebhookBuilder& namespace_selector(boost::json::object selector) {
    namespace_selector_ = std::move(selector);
    return *this;
  }
  WebhookBuilder& object_selector(boost::json::object selector) {
    object_selector_ = std::move(selector);
    return *this;
  }
  /// Asks the validator about DELETE too (CREATE and UPDATE otherwise).
  WebhookBuilder& validate_deletes() {
    validate_deletes_ = true;
    return *this;
  }

  /// Registers what was given; throws std::invalid_argument when nothing was.
  void build() {
    if (!defaulter_ && !validator_)
      throw std::invalid_argument("webhook<" + std::string(resource_traits<K>::kind) +
                                  ">(): give a defaulter() or a validator() before build()");
    if (defaulter_) {
      const auto path = mutating_webhook_path<K>();
      if (server_) server_->handle(path, admission_https_handler(path, defaulting_admission<K>(defaulter_), logger_));
      declare(AdmissionWebhookType::mutating, path);
    }
    if (validator_) {
      const auto path = validating_webhook_path<K>();
      if (server_) server_->handle(path, admission_https_handler(path, validating_admission<K>(validator_), logger_));
      declare(AdmissionWebhookType::validating, path);
    }
  }

 private:
  void declare(AdmissionWebhookType type, const std::string& path) {
    if (!declarations_) return;
    auto webhook = admission_webhook_for<K>(type, path);
    webhook.failure_policy = failure_policy_;
    webhook.timeout_seconds = timeout_seconds_;
    webhook.match_conditions = match_conditions_;
    webhook.namespace_selector = namespace_selector_;
    webhook.object_selector = object_selector_;
    if (type == AdmissionWebhookType::validating && validate_deletes_) webhook.rules[0].operations.push_back("DELETE");
    declarations_->push_back(std::move(webhook));
  }

  HttpsServer* server_ = nullptr;
  Logger logger_;
  std::vector<AdmissionWebhook>* declarations_;
  std::shared_ptr<Defaulter<K>> defaulter_;
  std::shared_ptr<Validator<K>> validator_;
  FailurePolicy failure_policy_ = FailurePolicy::fail;
  int timeout_seconds_ = 10;
  std::vector<MatchCondition> match_conditions_;
  boost::json::object namespace_selector_;
  boost::json::object object_selector_;
  bool validate_deletes_ = false;
};

/// The declarations of admission webhooks, without a server: what an operator's manifest
/// generator (kopp_add_crd FUNCTION) builds its webhook configurations from. Its
/// webhook<K>() is the Manager's, so one registration function taking a WebhookBuilder<K>
/// serves main() (manager.webhook<K>()) and the manifests (declarations.webhook<K>()), and
/// config/webhook/ names exactly the paths and rules the server serves.
class WebhookDeclarations {
 public:
  template <Resource K>
  WebhookBuilder<K> webhook() {
    return WebhookBuilder<K>(webhooks_);
  }
  const std::vector<AdmissionWebhook>& admission_webhooks() const noexcept { return webhooks_; }

 private:
  std::vector<AdmissionWebhook> webhooks_;
};

}  // namespace kopp
