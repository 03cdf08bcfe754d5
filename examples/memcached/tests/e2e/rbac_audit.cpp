// memcached-rbac-audit AUDIT_LOG USER: proves config/rbac/role.yaml and
// leader_election_role.yaml minimal after e2e.sh ran the operator as USER
// ("system:serviceaccount:<namespace>:<name>"). The API server's audit log (kopp's local
// control plane records ServiceAccounts' requests) must show USER using every verb on every
// resource the roles grant, but for the exceptions below, each for a reason the end-to-end
// run cannot show. Exit 0 when that holds; 1, naming the difference, when a grant nobody
// uses appears or an exception is used after all (the list went stale).
#include <memcached/rbac.hpp>

#include <kopp/testing/audit_log.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: memcached-rbac-audit AUDIT_LOG USER\n";
    return 2;
  }
  try {
    const auto requests = kopp::testing::audited_requests(argv[1], argv[2]);
    if (requests.empty()) {
      std::cerr << "memcached-rbac-audit: no request of " << argv[2] << " in " << argv[1] << "\n";
      return 1;
    }
    // Grants the API server checks without a request of that verb (sorted).
    const std::vector<std::string> exceptions{
        // Server-side apply of a Deployment that does not exist yet is a PATCH request, for
        // which the API server also authorizes create.
        "apps/deployments create",
        // Only where the OwnerReferencesPermissionEnforcement admission plugin is on (off in
        // the local control plane): it checks this when a Deployment's or Service's owner
        // reference blocks the Memcached's deletion.
        "cache.example.com/memcacheds/finalizers update",
        // As for Deployments.
        "core/services create",
    };
    // The leader-election Role has no exception: the run creates, reads and renews the Lease.
    std::vector<std::string> unused = kopp::testing::unused_grants(memcached::rbac_manifest(), requests);
    for (auto& grant : kopp::testing::unused_grants(memcached::leader_election_manifest(), requests))
      unused.push_back("leader election: " + grant);
    if (unused == exceptions) {
      std::cout << "memcached-rbac-audit: " << requests.size() << " requests of " << argv[2]
                << " use every grant of the roles but the " << exceptions.size() << " known exception(s)\n";
      return 0;
    }
    std::cerr << "memcached-rbac-audit: the roles' grants nobody used are not the known exceptions.\n  unused:";
    for (const auto& grant : unused) std::cerr << "\n    " << grant;
    std::cerr << "\n  exceptions:";
    for (const auto& grant : exceptions) std::cerr << "\n    " << grant;
    std::cerr << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "memcached-rbac-audit: " << e.what() << "\n";
    return 1;
  }
}
