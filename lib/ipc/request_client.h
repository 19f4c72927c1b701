// request_client - a kept connection to a request/reply service, reconnected once when stale
//
//   ipc::RequestClient client(socketPath, "mapd", {.connect = 10s, .io = 10s});
//   try {
//     auto reply = client.call<ipc::MapLookupReply>(request);
//   } catch (const ipc::RequestError& e) {
//     log("%s", e.what());   // "mapd unavailable at /private/mapd: connect ...: ..."
//   }
//
// The typed clients (lib/proto/*_client.h) are thin wrappers over this
// (the lookup clients over ServiceClient, below).
// One connection is opened on first use and kept for the next request.
// Services close kept connections (max_use, max_idle, a restart), so when
// a kept connection turns out closed, the client reconnects once and sends
// the request again; a new connection that fails, a timeout (the service
// is there but does not answer: sending again would only wait twice), or a
// malformed reply is an error at once. After any error the connection is
// closed, and the next request opens a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Why a request got no reply. what() is for the log: "<service> unavailable
// at <path>: <cause>", "<service> at <path>: <cause>" or "<service> at
// <path>: protocol error: <cause>"; cause() is the part after the path.
class RequestError : public std::runtime_error {
 public:
  enum class Kind {
    Unavailable,  // the service could not be reached (no connection)
    Lost,         // the connection closed, reset or timed out
    Protocol,     // the reply (or the request) is not a valid frame
  };
  RequestError(Kind kind, const std::string& what, std::string cause)
      : std::runtime_error(what), kind_(kind), cause_(std::move(cause)) {}
  Kind kind() const { return kind_; }
  const std::string& cause() const { return cause_; }

 private:
  Kind kind_;
  std::string cause_;
};

// What a typed client (MapClient, UserdbClient) throws: what() for the
// log, kind() for the caller to tell a refusal from an outage.
template <class Kind>
class ServiceError : public std::runtime_error {
 public:
  ServiceError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class RequestClient {
 public:
  struct Timeouts {
    std::chrono::milliseconds connect{std::chrono::seconds(10)};
    std::chrono::milliseconds io{std::chrono::seconds(10)};  // each send and each reply
  };
  // Whether a request may go again on a new connection when the kept one
  // turns out closed. Never: for a request that continues a conversation,
  // which lived in the service process that went away (the caller checks
  // connected() first).
  enum class Reconnect { WhenStale, Never };

  // `service` names the service in error messages ("mapd", "authd").
  RequestClient(std::string socketPath, std::string service, Timeouts timeouts);
  ~RequestClient();
  RequestClient(RequestClient&&) noexcept;
  RequestClient& operator=(RequestClient&&) noexcept;
  RequestClient(const RequestClient&) = delete;
  RequestClient& operator=(const RequestClient&) = delete;

  // Sends `request` and returns the reply, decoded as Reply. Throws
  // RequestError.
  template <class Reply, class Request>
  Reply call(const Request& request, Reconnect reconnect = Reconnect::WhenStale);

  // Sends `request` and returns the reply frame, of whatever type (the
  // caller decodes it). Throws RequestError; a reply that carries a file
  // descriptor is a protocol error.
  template <class Request>
  Frame exchange(const Request& request, Reconnect reconnect = Reconnect::WhenStale) {
    return exchangeFrame(static_cast<std::uint32_t>(Request::kType), Request::kVersion,
                         encode(request), reconnect);
  }
  Frame exchangeFrame(std::uint32_t type, std::uint32_t version, std::string_view body,
                      Reconnect reconnect);

  // The open connection, for what follows a request (cleanup's content
  // stream); only while connected().
  Channel& channel() { return *channel_; }
  bool connected() const { return channel_ != nullptr; }
  // Closes the connection (the next request opens a new one).
  void disconnect();

  const std::string& socketPath() const { return socketPath_; }
  // How many connections this client has opened so far (tests, debugging).
  int connectCount() const { return connects_; }

 private:
  void connect();
  // Closes the connection and throws RequestError.
  [[noreturn]] void fail(RequestError::Kind kind, const std::string& cause);

  std::string socketPath_;
  std::string service_;
  Timeouts timeouts_;
  std::unique_ptr<Channel> channel_;
  int connects_ = 0;
};

template <class Reply, class Request>
Reply RequestClient::call(const Request& request, Reconnect reconnect) {
  const Frame frame = exchange(request, reconnect);
  try {
    return decode<Reply>(frame);
  } catch (const ProtocolError& e) {
    fail(RequestError::Kind::Protocol, e.what());
  }
}

// What a typed lookup client (MapClient, UserdbClient) is made of: a kept
// RequestClient whose failures are ServiceError<Kind>, Kind::Protocol for
// a malformed reply and Kind::Unavailable for any other.
template <class Kind>
class ServiceClient {
 public:
  // Closes the connection (the next request opens a new one).
  void disconnect() { client_.disconnect(); }

  const std::string& socketPath() const { return client_.socketPath(); }
  // How many connections this client has opened so far (tests, debugging).
  int connectCount() const { return client_.connectCount(); }

 protected:
  // `service` names the service in error messages ("mapd", "authd").
  ServiceClient(std::string socketPath, std::string service, std::chrono::milliseconds timeout)
      : client_(std::move(socketPath), std::move(service), {.connect = timeout, .io = timeout}) {}

  // Sends `request` and returns the reply. Throws ServiceError<Kind>.
  template <class Reply, class Request>
  Reply call(const Request& request) {
    try {
      return client_.call<Reply>(request);
    } catch (const RequestError& e) {
      throw ServiceError<Kind>(
          e.kind() == RequestError::Kind::Protocol ? Kind::Protocol : Kind::Unavailable, e.what());
    }
  }

 private:
  RequestClient client_;
};

}  // namespace posthorn::ipc
