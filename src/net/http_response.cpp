#include "net/http_response.hpp"

#include <nlohmann/json.hpp>

#include "xchat/version.hpp"

namespace xchat::net {

namespace http = boost::beast::http;

void set_common_fields(http::fields& fields) {
  std::string server = "xchatd/";
  server += kVersion;
  fields.set(http::field::server, server);
  fields.set(http::field::cache_control, "no-store");
}

HttpResponse make_response(http::status status, unsigned version, bool keep_alive,
                           std::string_view content_type, std::string body) {
  HttpResponse res{status, version};
  set_common_fields(res);
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse make_no_content(unsigned version, bool keep_alive) {
  HttpResponse res{http::status::no_content, version};
  set_common_fields(res);
  res.keep_alive(keep_alive);
  return res;
}

HttpResponse make_error(http::status status, unsigned version, bool keep_alive,
                        std::string_view code, std::string_view message, std::string_view extra) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  std::string body = R"({"error":)";
  body += error.dump();
  if (!extra.empty()) {
    body += ',';
    body += extra;
  }
  body += "}\n";
  return make_response(status, version, keep_alive, "application/json", std::move(body));
}

}  // namespace xchat::net
