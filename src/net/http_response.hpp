#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

namespace xchat::net {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// What every response of the server carries: Server, and Cache-Control: no-store.
void set_common_fields(boost::beast::http::fields& fields);

// A complete response: the common fields, the body's length too.
HttpResponse make_response(boost::beast::http::status status, unsigned version, bool keep_alive,
                           std::string_view content_type, std::string body);

// 204 No Content: the common fields, no body and no type.
HttpResponse make_no_content(unsigned version, bool keep_alive);

// The HTTP form of an error: {"error":{"code":CODE,"message":MESSAGE}}, with `extra`
// members (a JSON object's text without its braces, e.g. "\"offset\":12") when not empty.
HttpResponse make_error(boost::beast::http::status status, unsigned version, bool keep_alive,
                        std::string_view code, std::string_view message,
                        std::string_view extra = {});

}  // namespace xchat::net
