#include "serving/grpc_auth.h"

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "grpc/grpc.h"
#include "grpc/grpc_security.h"
#include "grpc/slice.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace tfmodel::serving {
namespace {

constexpr char kAuthorizationKey[] = "authorization";

absl::string_view SliceView(const grpc_slice& s) {
  return absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(s)),
                           GRPC_SLICE_LENGTH(s));
}

// For TLS listeners: grpc++'s processor interface, run inline (the check never blocks).
class AuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit AuthProcessor(const Authenticator* auth) : auth_(auth) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*, OutputMetadata* consumed,
                       OutputMetadata*) override {
    absl::string_view header;
    auto it = metadata.find(kAuthorizationKey);
    if (it != metadata.end()) header = absl::string_view(it->second.data(), it->second.size());
    const AuthResult r = auth_->Check(header);
    if (r != AuthResult::kOk)
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, auth_->Explain(r));
    consumed->emplace(kAuthorizationKey, std::string(header));  // handlers do not see it
    return grpc::Status::OK;
  }

 private:
  const Authenticator* auth_;
};

// For plain-text listeners: the same check as a core processor.
void ProcessCore(void* state, grpc_auth_context*, const grpc_metadata* md, size_t num_md,
                 grpc_process_auth_metadata_done_cb done, void* user_data) {
  const auto* auth = static_cast<const Authenticator*>(state);
  const grpc_metadata* found = nullptr;
  for (size_t i = 0; i < num_md; ++i) {
    if (SliceView(md[i].key) == kAuthorizationKey) found = &md[i];
  }
  const AuthResult r = auth->Check(found ? SliceView(found->value) : absl::string_view());
  if (r != AuthResult::kOk) {
    const std::string why = auth->Explain(r);
    done(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED, why.c_str());
    return;
  }
  done(user_data, found, 1, nullptr, 0, GRPC_STATUS_OK, nullptr);
}

class InsecureCredentialsWithAuth final : public grpc::ServerCredentials {
 public:
  explicit InsecureCredentialsWithAuth(const Authenticator* auth)
      : creds_(grpc_insecure_server_credentials_create()) {
    grpc_auth_metadata_processor p{&ProcessCore, nullptr,
                                   const_cast<void*>(static_cast<const void*>(auth))};
    grpc_server_credentials_set_auth_metadata_processor(creds_, p);
  }
  ~InsecureCredentialsWithAuth() override { grpc_server_credentials_release(creds_); }
  // The processor is fixed at construction.
  void SetAuthMetadataProcessor(const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }
  grpc_server_credentials* creds_;
};

}  // namespace

std::shared_ptr<grpc::ServerCredentials> GrpcCredentialsWithAuth(
    std::shared_ptr<grpc::ServerCredentials> tls, const Authenticator* auth) {
  if (tls == nullptr) return std::make_shared<InsecureCredentialsWithAuth>(auth);
  tls->SetAuthMetadataProcessor(std::make_shared<AuthProcessor>(auth));
  return tls;
}

}  // namespace tfmodel::serving
