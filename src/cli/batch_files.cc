#include "cli/batch_files.h"

#include "core/os_identity.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sanso::cli {
namespace {

namespace fs = std::filesystem;

// Closes a descriptor on every way out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string because(int e) { return std::strerror(e); }

bool write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The person behind the process and their groups, read once.
struct Person {
  bool other = false;  // not the process's own account
  uid_t uid = 0;
  gid_t gid = 65534;
  std::vector<gid_t> groups;
};

const Person& person() {
  static const Person p = [] {
    Person out;
    out.uid = os_identity_of_this_process().person_uid();
    if (out.uid == ::geteuid()) return out;
    out.other = true;
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwuid_r(out.uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      out.gid = pw.pw_gid;
      int n = 64;
      out.groups.resize(static_cast<std::size_t>(n));
      if (::getgrouplist(pw.pw_name, pw.pw_gid, out.groups.data(), &n) < 0) {
        out.groups.resize(static_cast<std::size_t>(n));
        ::getgrouplist(pw.pw_name, pw.pw_gid, out.groups.data(), &n);
      }
      out.groups.resize(static_cast<std::size_t>(std::max(n, 0)));
    }
    return out;
  }();
  return p;
}

}  // namespace

AsThePerson::AsThePerson() {
  const Person& p = person();
  if (!p.other || ::geteuid() != 0) return;
  ::setfsgid(p.gid);
  ::setfsuid(p.uid);
  // setfsuid answers with the previous value whether or not it changed anything: ask again.
  switched_ = static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == p.uid;
}

AsThePerson::~AsThePerson() {
  if (!switched_) return;
  ::setfsuid(::geteuid());
  ::setfsgid(::getegid());
}

bool AsThePerson::may_read(const struct ::stat& st) const {
  const Person& p = person();
  if (!p.other || switched_) return true;
  if (st.st_uid == p.uid) return (st.st_mode & S_IRUSR) != 0;
  if (std::find(p.groups.begin(), p.groups.end(), st.st_gid) != p.groups.end() || st.st_gid == p.gid) return (st.st_mode & S_IRGRP) != 0;
  return (st.st_mode & S_IROTH) != 0;
}

Result<std::string> read_batch_input(const fs::path& path, std::uint64_t max_bytes) {
  const std::string where = path.string();
  // O_NONBLOCK: a FIFO planted in the folder would otherwise hold the open until a writer comes.
  AsThePerson as_them;
  Fd f(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ELOOP) return make_error("cli.unreadable", where, "a symbolic link, not a file of the folder: not followed, not read");
    return make_error("cli.unreadable", where, "cannot open the file: " + because(errno));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return make_error("cli.unreadable", where, "cannot stat the file: " + because(errno));
  if (!S_ISREG(st.st_mode)) return make_error("cli.unreadable", where, "not a regular file (a pipe, a socket or a device): not read");
  if (!as_them.may_read(st)) return make_error("cli.unreadable", where, "not readable by you (the person running sanso): not read");
  if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return make_error("cli.too-large", where,
                      "the file is " + std::to_string(st.st_size >> 20) + " MB, over the limit of " + std::to_string(max_bytes >> 20) +
                          " MB: not read, nothing written for it; it stays where it is");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t have = 0;
  while (have < out.size()) {
    const ssize_t n = ::pread(f.fd, out.data() + have, out.size() - have, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cli.unreadable", where, "reading the file failed: " + because(errno));
    if (n == 0) break;  // shrank meanwhile: what is there is the file
    have += static_cast<std::size_t>(n);
  }
  out.resize(have);
  // Grown meanwhile (still being written): read as far as the limit allows, never past it.
  char more;
  for (;;) {
    const ssize_t n = ::pread(f.fd, &more, 1, static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n == 1) return make_error("cli.unreadable", where, "the file grew while it was read (still being written?): not read this time");
    break;
  }
  return out;
}

Result<fs::path> write_under(const fs::path& root, const fs::path& relative, std::string_view content, Existing existing) {
  if (relative.empty() || relative.is_absolute() || !relative.has_filename()) {
    return make_error("cli.unwritable", relative.string(), "not a name under the output folder");
  }
  std::vector<std::string> folders;
  for (const auto& part : relative.parent_path()) {
    const std::string p = part.string();
    if (p.empty() || p == ".") continue;
    if (p == "..") return make_error("cli.unwritable", relative.string(), "a name that climbs out of the output folder");
    folders.push_back(p);
  }
  const std::string name = relative.filename().string();
  if (name == "." || name == "..") return make_error("cli.unwritable", relative.string(), "not a file name");
  // The output folder itself is the administrator's choice (it may be a link they made).
  AsThePerson as_them;
  Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0) return make_error("cli.unwritable", root.string(), "cannot open the output folder: " + because(errno));
  fs::path at = root;
  for (const auto& folder : folders) {
    at /= folder;
    if (::mkdirat(dir.fd, folder.c_str(), 0755) != 0 && errno != EEXIST) {
      return make_error("cli.unwritable", at.string(), "cannot create the folder: " + because(errno));
    }
    const int next = ::openat(dir.fd, folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      const int e = errno;
      if (e == ELOOP || e == ENOTDIR) return make_error("cli.unwritable", at.string(), "a link or a file stands where this folder should be: nothing written through it");
      return make_error("cli.unwritable", at.string(), "cannot open the folder: " + because(e));
    }
    ::close(dir.fd);
    dir.fd = next;
  }
  auto write_new = [&](const std::string& file) -> Result<bool> {  // false: the name is taken
    Fd out(::openat(dir.fd, file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (out.fd < 0) {
      if (errno == EEXIST) return false;
      return make_error("cli.unwritable", (at / file).string(), "cannot create the file: " + because(errno));
    }
    if (!write_all(out.fd, content)) {
      const int e = errno;
      ::unlinkat(dir.fd, file.c_str(), 0);
      return make_error("cli.unwritable", (at / file).string(), "cannot write the file: " + because(e));
    }
    return true;
  };
  if (existing == Existing::kNumberAnew) {
    const fs::path wanted(name);
    for (int n = 1; n < 10000; ++n) {
      const std::string file = n == 1 ? name : wanted.stem().string() + " (" + std::to_string(n) + ")" + wanted.extension().string();
      if (SANSO_TRY(write_new(file))) return at / file;
    }
    return make_error("cli.unwritable", (at / name).string(), "too many files of this name in the folder");
  }
  // Written under a name of its own, then renamed over the entry: rename replaces a link planted
  // under the name instead of writing where it points, and a reader never sees half a file.
  unsigned char r[6];
  randombytes_buf(r, sizeof r);
  char hex[13];
  sodium_bin2hex(hex, sizeof hex, r, sizeof r);
  const std::string temporary = "." + name + ".tmp-" + hex;
  if (!SANSO_TRY(write_new(temporary))) return make_error("cli.unwritable", (at / temporary).string(), "the temporary name is taken");
  if (::renameat(dir.fd, temporary.c_str(), dir.fd, name.c_str()) != 0) {
    const int e = errno;
    ::unlinkat(dir.fd, temporary.c_str(), 0);
    return make_error("cli.unwritable", (at / name).string(), "cannot put the file in place: " + because(e));
  }
  return at / name;
}

bool same_or_inside(const fs::path& inner, const fs::path& outer) {
  std::error_code e1, e2;
  const fs::path a = fs::weakly_canonical(inner, e1), b = fs::weakly_canonical(outer, e2);
  if (e1 || e2) return false;
  auto ia = a.begin();
  for (auto ib = b.begin(); ib != b.end(); ++ib, ++ia) {
    if (ib->empty()) continue;  // a trailing separator
    if (ia == a.end() || *ia != *ib) return false;
  }
  return true;
}

}  // namespace sanso::cli
