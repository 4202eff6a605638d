// A transfer's upload as the console's page and the JSON API both take it (transfer_pages.cc,
// api.cc): [transfer]'s limits for the reader, the private directory it spools into, and the
// spooled files as the service reads them. Private to src/web.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "transfer/transfer.h"
#include "web/multipart.h"

namespace sanso::web::internal {

// [transfer]'s limits (a file, the files, the total) as the reader applies them at every byte.
MultipartLimits transfer_upload_limits(const config::TransferSettings& limits);
// The directory uploads are spooled into (DATA_DIR/tmp/uploads), made private if it is not there.
Result<std::string> upload_spool(const config::ServiceConfig& config);
// The form's files as the service takes them: each read from its spooled copy when its turn
// comes, so that one file of a transfer is in memory at a time. `form` must outlive them.
std::vector<transfer::Upload> spooled_uploads(const MultipartForm& form);

}  // namespace sanso::web::internal
