// How a sandboxed job's answer is read back in the parent: a status byte ('V' a value, 'E' an
// error: code, where and message separated by NUL), then the rest. Private to src/sandbox; apart
// for its tests.
#pragma once

#include <string>

#include "core/result.h"

namespace sanso::sandbox::internal {

// The answer as the caller gets it; the rest is taken, not copied (a rebuilt file can be as large as
// the limit allows). `malformed` is set when the answer is not one a worker of ours writes (an
// unknown status, an error without its three parts): the worker that wrote it is not trusted with
// another job.
Result<std::string> decode_answer(char status, std::string rest, bool& malformed);

}  // namespace sanso::sandbox::internal
