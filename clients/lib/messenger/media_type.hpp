#pragma once

#include <string>
#include <string_view>

namespace xchat::client {

// The media type a file name's extension suggests (any case: "photo.JPG" is image/jpeg),
// for the receiver to know what it is getting before opening it; application/octet-stream
// when the extension is unknown or missing. A guess, never a promise: the receiver gets the
// bytes the sender had, whatever they are.
std::string media_type_for(std::string_view file_name);

}  // namespace xchat::client
