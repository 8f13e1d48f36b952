#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

namespace xchat::net {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A complete response: Server and Cache-Control: no-store set, the body's length too.
HttpResponse make_response(boost::beast::http::status status, unsigned version, bool keep_alive,
                           std::string_view content_type, std::string body);

// The HTTP form of an error: {"error":{"code":CODE,"message":MESSAGE}}, with `extra`
// members (a JSON object's text without its braces, e.g. "\"offset\":12") when not empty.
HttpResponse make_error(boost::beast::http::status status, unsigned version, bool keep_alive,
                        std::string_view code, std::string_view message,
                        std::string_view extra = {});

}  // namespace xchat::net
