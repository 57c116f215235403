// gRPC side of serving/auth.h: every call on every service is checked against the
// "authorization" metadata ("Bearer <token>" or "Basic <base64>") before it reaches a
// service; a call without valid credentials ends UNAUTHENTICATED. Done once, in gRPC's
// server auth filter (an auth metadata processor on the listening ports' credentials).
#ifndef TFMODEL_SERVING_GRPC_AUTH_H_
#define TFMODEL_SERVING_GRPC_AUTH_H_

#include <memory>

#include "grpcpp/security/server_credentials.h"
#include "serving/auth.h"

namespace tfmodel::serving {

// Credentials for the gRPC listeners that authenticate calls with `auth` (which must
// outlive the server). `tls`: the TLS credentials from --ssl_config_file, or null for a
// plain-text listener (grpc++'s InsecureServerCredentials cannot take a processor, so
// that case gets core insecure credentials of its own).
std::shared_ptr<grpc::ServerCredentials> GrpcCredentialsWithAuth(
    std::shared_ptr<grpc::ServerCredentials> tls, const Authenticator* auth);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_GRPC_AUTH_H_
