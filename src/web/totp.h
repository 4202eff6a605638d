// The console's second factor: the TOTP functions live in src/auth (the command line checks the
// same codes); the console names them here.
#pragma once

#include "auth/totp.h"

namespace sanso::web {

using auth::base32_decode;
using auth::base32_encode;
using auth::new_totp_secret;
using auth::totp_code;
using auth::totp_uri;

}  // namespace sanso::web
