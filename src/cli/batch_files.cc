#include "cli/batch_files.h"

#include "core/io.h"
#include "core/os_identity.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <set>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sanso::cli {
namespace {

namespace fs = std::filesystem;

std::string because(int e) { return std::strerror(e); }

bool write_all(int fd, std::string_view data) { return sanso::write_all(fd, data.data(), data.size()); }

// The person behind the process and their groups, read once.
struct Person {
  bool other = false;  // not the process's own account
  // $SUDO_UID/$SUDO_USER say someone ran sudo, but no sudo among our ancestors bears it out and no
  // ancestor of an ordinary account started us: who typed the command is not known, and the
  // process's own account is not to be assumed.
  bool unknown = false;
  uid_t uid = 0;
  gid_t gid = 65534;
  std::vector<gid_t> groups;
};

const Person& person() {
  static const Person p = [] {
    Person out;
    const OsIdentity id = os_identity_of_this_process();
    if (!id.unverified_sudo_claim.empty() && !id.login_uid && !id.elevated_from) {
      out.unknown = out.other = true;
      out.uid = 65534;  // nobody: what anyone may read, nothing more
      return out;
    }
    out.uid = id.person_uid();
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
  // Guards nest (a helper that opens as the person, called where the caller already does): each
  // puts back what it found.
  previous_gid_ = static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1)));
  previous_uid_ = static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1)));
  saved_ = true;
  // The supplementary groups count in every permission check too: root's own (group 0) would let
  // the person read a root:root 0640 file. The raw system call changes this thread's groups only
  // (glibc's setgroups() changes every thread's).
  const int had = ::getgroups(0, nullptr);
  previous_groups_.resize(static_cast<std::size_t>(std::max(had, 0)));
  if (had < 0 || ::getgroups(had, previous_groups_.data()) != had) return;
  if (::syscall(SYS_setgroups, p.groups.size(), p.groups.data()) != 0) return;
  groups_set_ = true;
  ::setfsgid(p.gid);
  ::setfsuid(p.uid);
  // setfsuid answers with the previous value whether or not it changed anything: ask again.
  switched_ = static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == p.uid &&
              static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) == p.gid;
}

AsThePerson::~AsThePerson() {
  if (!saved_) return;
  ::setfsuid(previous_uid_);
  ::setfsgid(previous_gid_);
  if (groups_set_) ::syscall(SYS_setgroups, previous_groups_.size(), previous_groups_.data());
}

bool AsThePerson::checks_by_mode() const { return person().other && !switched_; }

namespace {

// The access ACL of a file (Linux's system.posix_acl_access: a version word, then entries of tag,
// permissions and id), raw; "" when it has none. None when it cannot be read: judged as denying.
std::optional<std::string> access_acl(const std::function<ssize_t(char*, std::size_t)>& get) {
  std::string raw(1024, '\0');
  for (int tries = 0; tries < 4; ++tries) {
    const ssize_t n = get(raw.data(), raw.size());
    if (n >= 0) return raw.substr(0, static_cast<std::size_t>(n));
    if (errno == ENODATA || errno == ENOTSUP) return std::string();
    if (errno != ERANGE) return std::nullopt;
    raw.resize(raw.size() * 4);
  }
  return std::nullopt;
}
std::optional<std::string> access_acl_of(int fd) {
  return access_acl([fd](char* buf, std::size_t size) { return ::fgetxattr(fd, "system.posix_acl_access", buf, size); });
}
std::optional<std::string> access_acl_at(const fs::path& path) {
  return access_acl([&path](char* buf, std::size_t size) { return ::lgetxattr(path.c_str(), "system.posix_acl_access", buf, size); });
}

// What `st` lets the person do, `what` being 4 (read), 2 (write) or 1 (search): by its mode bits,
// and where it has an access ACL by that, as the kernel decides (POSIX.1e): the owner by the owner
// bits, a named user by their entry, the groups by the best of the entries of theirs, others last;
// named entries and groups bounded by the mask. A named entry denying the person a file the mode
// lets everyone read is a deny (the mode's group bits are the mask, not the owning group's right).
bool person_may(const struct ::stat& st, const std::optional<std::string>& acl, int what) {
  const Person& p = person();
  if (p.uid == 0) return true;
  if (!acl) return false;
  const auto theirs = [&p](gid_t g) { return g == p.gid || std::find(p.groups.begin(), p.groups.end(), g) != p.groups.end(); };
  const auto grants = [what](unsigned perm) { return (perm & static_cast<unsigned>(what)) == static_cast<unsigned>(what); };
  if (st.st_uid == p.uid) return grants((st.st_mode >> 6) & 7);
  if (acl->empty()) return theirs(st.st_gid) ? grants((st.st_mode >> 3) & 7) : grants(st.st_mode & 7);
  constexpr std::uint16_t kUser = 0x02, kGroupObj = 0x04, kGroup = 0x08, kMask = 0x10;
  struct Entry {
    std::uint16_t tag;
    std::uint16_t perm;
    std::uint32_t id;
  };
  std::vector<Entry> entries;
  if (acl->size() < 4 || (acl->size() - 4) % 8 != 0) return false;
  for (std::size_t at = 4; at < acl->size(); at += 8) {
    const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>((*acl)[at + i])); };
    entries.push_back({static_cast<std::uint16_t>(byte(0) | byte(1) << 8), static_cast<std::uint16_t>(byte(2) | byte(3) << 8),
                       byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24});
  }
  unsigned mask = 7;
  for (const Entry& e : entries) {
    if (e.tag == kMask) mask = e.perm;
  }
  for (const Entry& e : entries) {
    if (e.tag == kUser && e.id == p.uid) return grants(e.perm & mask);
  }
  bool member = false;
  for (const Entry& e : entries) {
    if ((e.tag == kGroupObj && theirs(st.st_gid)) || (e.tag == kGroup && theirs(static_cast<gid_t>(e.id)))) {
      member = true;
      if (grants(e.perm & mask)) return true;
    }
  }
  return !member && grants(st.st_mode & 7);
}

// Where the file `fd` has open lies, as the kernel records it (not the name it was opened by);
// nothing for what is not a file of a folder (a pipe) or cannot be told.
std::optional<fs::path> opened_path(int fd) {
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  std::error_code ec;
  fs::path at = fs::read_symlink(link, ec);
  if (ec || !at.is_absolute()) return std::nullopt;
  return at;
}

// The first folder above `at`, nearest first up to the root, for which `fails` holds (or that
// cannot be looked at); empty when there is none.
fs::path first_folder_above(const fs::path& at, const std::function<bool(const fs::path&, const struct stat&)>& fails) {
  for (fs::path up = at.parent_path();; up = up.parent_path()) {
    struct stat st {};
    if (::stat(up.c_str(), &st) != 0 || fails(up, st)) return up;
    if (up == up.root_path()) return {};
  }
}

// Every folder above what `fd` has open searchable by the person: a file of mode 0644 in sanso's
// 0700 data directory is not theirs to read. The path comes from the kernel's record of the open
// file, not from the name given, so a link of theirs cannot stand in for the way there.
bool person_reaches(int fd) {
  const auto at = opened_path(fd);
  return at && first_folder_above(*at, [](const fs::path& folder, const struct stat& st) {
                  return !S_ISDIR(st.st_mode) || !person_may(st, access_acl_at(folder), 1);
                }).empty();
}

}  // namespace

Result<void> person_known(const std::string& where) {
  if (!person().unknown) return ok();
  return make_error("cli.unknown-person", where,
                    "$SUDO_UID/$SUDO_USER are set but no sudo started this command, so who runs it is not known: paths on the "
                    "command line are not opened (run it from your own login session, or unset them)");
}

Result<std::string> trusted_configuration(const std::string& path) {
  if (!person().other) return path;
  // A configuration names the policy, the store, the keys, the accounts and files sanso reads as
  // itself: under sudo it must be the administrators', never one the person wrote (a notice
  // template of /etc/shadow, a data directory of their own, [[users]] of their choosing) nor one
  // sanso's own account wrote for them. As sudo asks of sudoers: the file and every folder above it
  // owned by root and writable by no one else (a sticky folder such as /tmp holds a root folder
  // safely). It is then loaded from where it really lies — a link of the person's to it would
  // otherwise make its relative paths (policy.toml, the notice template) resolve in their folder,
  // and a second look-up by the name typed could reach another file.
  UniqueFd f(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!f) return path;  // not there: the loader says so
  struct stat st {};
  if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error("config.untrusted", path,
                      "a configuration that is not the administrators' (a file owned by root, writable by no one else): under sudo "
                      "sanso does not take it");
  }
  const auto found = opened_path(f.get());
  if (!found) return make_error("config.untrusted", path, "where the configuration lies cannot be told");
  const fs::path& at = *found;
  const fs::path open_to_others = first_folder_above(at, [](const fs::path&, const struct stat& ds) {
    return ds.st_uid != 0 || ((ds.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (ds.st_mode & S_ISVTX) == 0);
  });
  if (!open_to_others.empty()) {
    return make_error("config.untrusted", path,
                      "the configuration lies in " + open_to_others.string() +
                          ", a folder not root's or one others may write into: under sudo sanso does not take it (keep it in /etc/sanso)");
  }
  // Every folder on the way is root's and closed to others: the file at this path stays the one
  // looked at.
  struct stat again {};
  if (::stat(at.c_str(), &again) != 0 || again.st_dev != st.st_dev || again.st_ino != st.st_ino) {
    return make_error("config.untrusted", path, "the configuration changed while it was looked at");
  }
  return at.string();
}


bool AsThePerson::may_read(int fd, const struct ::stat& st) const { return !checks_by_mode() || person_may(st, access_acl_of(fd), 4); }

namespace {

// The names of the folders of `relative` and its file name; "" when it climbs out or names none.
bool split_relative(const fs::path& relative, std::vector<std::string>& folders, std::string& name) {
  if (relative.empty() || relative.is_absolute() || !relative.has_filename()) return false;
  for (const auto& part : relative.parent_path()) {
    const std::string p = part.string();
    if (p.empty() || p == ".") continue;
    if (p == "..") return false;
    folders.push_back(p);
  }
  name = relative.filename().string();
  return name != "." && name != "..";
}

// A regular file at `relative` under `root`, read whole: as the person (a folder's entry), or as
// sanso (what sanso itself wrote a moment ago). Every folder on the way is opened from the one
// before without following a link: a folder swapped for a link after the listing is refused, not
// followed (O_NOFOLLOW on the whole path would guard its last name only).
Result<std::string> read_regular_file(const fs::path& root, const fs::path& relative, std::uint64_t max_bytes, bool as_person) {
  const std::string where = (root / relative).string();
  std::vector<std::string> folders;
  std::string name;
  if (!split_relative(relative, folders, name)) return make_error("cli.unreadable", where, "not a name under the folder read");
  std::optional<AsThePerson> as_them;
  if (as_person) {
    SANSO_TRY(person_known(where));
    as_them.emplace();
  }
  UniqueFd dir(::open(root.empty() ? "." : root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return make_error("cli.unreadable", root.string(), "cannot open the folder: " + because(errno));
  for (const auto& folder : folders) {
    const int next = ::openat(dir.get(), folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      const int e = errno;
      if (e == ELOOP || e == ENOTDIR) return make_error("cli.unreadable", where, "a link or a file stands where a folder was listed: not followed, not read");
      return make_error("cli.unreadable", where, "cannot open the folder " + folder + ": " + because(e));
    }
    dir.reset(next);
  }
  // O_NONBLOCK: a FIFO planted in the folder would otherwise hold the open until a writer comes.
  UniqueFd f(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (f.get() < 0) {
    if (errno == ELOOP) return make_error("cli.unreadable", where, "a symbolic link, not a file of the folder: not followed, not read");
    return make_error("cli.unreadable", where, "cannot open the file: " + because(errno));
  }
  struct stat st {};
  if (::fstat(f.get(), &st) != 0) return make_error("cli.unreadable", where, "cannot stat the file: " + because(errno));
  if (!S_ISREG(st.st_mode)) return make_error("cli.unreadable", where, "not a regular file (a pipe, a socket or a device): not read");
  if (as_them && as_them->checks_by_mode() && !(as_them->may_read(f.get(), st) && person_reaches(f.get()))) {
    return make_error("cli.unreadable", where, "not readable by you (the person running sanso): not read");
  }
  if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return make_error("cli.too-large", where,
                      "the file is " + std::to_string(st.st_size >> 20) + " MB, over the limit of " + std::to_string(max_bytes >> 20) +
                          " MB: not read, nothing written for it; it stays where it is");
  }
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  const long long have = pread_full(f.get(), out.data(), out.size(), 0);
  if (have < 0) return make_error("cli.unreadable", where, "reading the file failed: " + because(errno));
  out.resize(static_cast<std::size_t>(have));  // shrank meanwhile: what is there is the file
  // Grown meanwhile (still being written): read as far as the limit allows, never past it.
  char more;
  if (pread_full(f.get(), &more, 1, have) == 1) {
    return make_error("cli.unreadable", where, "the file grew while it was read (still being written?): not read this time");
  }
  return out;
}

}  // namespace

Result<std::string> read_batch_input(const fs::path& root, const fs::path& relative, std::uint64_t max_bytes) {
  return read_regular_file(root, relative, max_bytes, true);
}

Result<UniqueFd> open_named_file(const fs::path& path) {
  const std::string where = path.string();
  SANSO_TRY(person_known(where));
  AsThePerson as_them;
  // A link the person typed is followed: the path is theirs. O_NONBLOCK|O_NOCTTY: opening must not
  // wait on a pipe without a writer nor act on a terminal or device before it is looked at.
  UniqueFd f(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!f) return make_error("cli.unreadable", where, "cannot open the file: " + because(errno));
  struct stat st {};
  if (::fstat(f.get(), &st) != 0) return make_error("cli.unreadable", where, "cannot stat the file: " + because(errno));
  if (S_ISDIR(st.st_mode)) return make_error("cli.unreadable", where, "a folder, not a file");
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) return make_error("cli.unreadable", where, "not a file (a socket or a device): not read");
  if (as_them.checks_by_mode() && !(as_them.may_read(f.get(), st) && person_reaches(f.get()))) {
    return make_error("cli.unreadable", where, "not readable by you (the person running sanso): not read");
  }
  // A pipe is read as it comes (its writer may be slow): blocking from here on.
  ::fcntl(f.get(), F_SETFL, ::fcntl(f.get(), F_GETFL) & ~O_NONBLOCK);
  return f;
}

bool person_may_read(const std::string& path) { return !person().other || open_named_file(path).has_value(); }

Result<std::string> read_named_file(const fs::path& path, std::uint64_t max_bytes) {
  const std::string where = path.string();
  UniqueFd f = SANSO_TRY(open_named_file(path));
  struct stat st {};
  if (::fstat(f.get(), &st) != 0) return make_error("cli.unreadable", where, "cannot stat the file: " + because(errno));
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return make_error("cli.too-large", where, "the file is " + std::to_string(st.st_size >> 20) + " MB, over the limit of " +
                                                  std::to_string(max_bytes >> 20) + " MB: not read");
  }
  std::string out(S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0, '\0');
  std::size_t have = 0;
  for (;;) {
    if (have == out.size()) {
      if (out.size() > max_bytes) {
        return make_error("cli.too-large", where, "more than the limit of " + std::to_string(max_bytes >> 20) + " MB: not read");
      }
      out.resize(std::min<std::uint64_t>(std::max<std::size_t>(out.size() * 2, 65536), max_bytes + 1));
    }
    const ssize_t n = ::read(f.get(), out.data() + have, out.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cli.unreadable", where, "reading the file failed: " + because(errno));
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  out.resize(have);
  return out;
}

namespace {

// sanso's own account writing for someone else: only into folders the person may write into (one
// made by this process for them is sanso's, under one of theirs).
bool folder_is_theirs(const AsThePerson& as_them, int fd, bool made) {
  if (!as_them.checks_by_mode()) return true;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  static std::mutex lock;
  static std::set<std::pair<dev_t, ino_t>> made_here;
  std::lock_guard<std::mutex> hold(lock);
  if (made) made_here.insert({st.st_dev, st.st_ino});
  const auto acl = access_acl_of(fd);
  return made_here.contains({st.st_dev, st.st_ino}) || (person_may(st, acl, 2) && person_may(st, acl, 1));
}

// A folder opened by a name the person gave, theirs to write into and to reach (always, where this
// thread writes as them).
bool folder_open_to_them(const AsThePerson& as_them, int fd) {
  return folder_is_theirs(as_them, fd, false) && (!as_them.checks_by_mode() || person_reaches(fd));
}



// Writes `content` into a new file `file` of the folder `dir` (at `at`), never through a link:
// false when the name is taken.
Result<bool> write_new_file(int dir, const fs::path& at, const std::string& file, std::string_view content, mode_t mode, bool durable) {
  UniqueFd out(::openat(dir, file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!out) {
    if (errno == EEXIST) return false;
    return make_error("cli.unwritable", (at / file).string(), "cannot create the file: " + because(errno));
  }
  if (!write_all(out.get(), content) || (durable && ::fsync(out.get()) != 0)) {
    const int e = errno;
    ::unlinkat(dir, file.c_str(), 0);
    return make_error("cli.unwritable", (at / file).string(), "cannot write the file: " + because(e));
  }
  return true;
}

// Written under a name of its own, then renamed over `name` in the folder `dir`: rename replaces a
// link planted under the name instead of writing where it points, and a reader never sees half a
// file.
Result<void> replace_in_folder(int dir, const fs::path& at, const std::string& name, std::string_view content, mode_t mode, bool durable) {
  unsigned char r[6];
  randombytes_buf(r, sizeof r);
  char hex[13];
  sodium_bin2hex(hex, sizeof hex, r, sizeof r);
  const std::string temporary = "." + name + ".tmp-" + hex;
  if (!SANSO_TRY(write_new_file(dir, at, temporary, content, mode, durable))) {
    return make_error("cli.unwritable", (at / temporary).string(), "the temporary name is taken");
  }
  if (::renameat(dir, temporary.c_str(), dir, name.c_str()) != 0) {
    const int e = errno;
    ::unlinkat(dir, temporary.c_str(), 0);
    return make_error("cli.unwritable", (at / name).string(), "cannot put the file in place: " + because(e));
  }
  return ok();
}

}  // namespace

Result<void> write_named_file(const fs::path& path, std::string_view content, mode_t mode) {
  const std::string where = path.string();
  SANSO_TRY(person_known(where));
  AsThePerson as_them;
  const bool private_file = (mode & 077) == 0;
  if (as_them.checks_by_mode()) {
    // sanso's own account writes here for someone else: into the folder checked (by its
    // descriptor: a folder swapped for a link meanwhile is not reached), a new file put in place
    // by rename — never through a link, never over a file that is not the person's to write,
    // nor over one sanso's account wrote earlier (for someone else, perhaps).
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const std::string name = path.filename().string();
    if (name.empty() || name == "." || name == "..") return make_error("cli.unwritable", where, "not a file name");
    UniqueFd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir || !folder_open_to_them(as_them, dir.get())) {
      return make_error("cli.unwritable", where,
                        "not a folder you (the person running sanso) may write into: nothing written (sanso runs as its own account here)");
    }
    struct stat old {};
    if (::fstatat(dir.get(), name.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(old.st_mode)) return make_error("cli.unwritable", where, "a symbolic link: not written through");
      // The name in the folder checked (its descriptor), not the path again.
      const auto acl = access_acl_at("/proc/self/fd/" + std::to_string(dir.get()) + "/" + name);
      if (!S_ISREG(old.st_mode) || old.st_nlink != 1 || old.st_uid == ::geteuid() || !person_may(old, acl, 2)) {
        return make_error("cli.unwritable", where, "a file you (the person running sanso) may not replace: nothing written");
      }
    }
    return replace_in_folder(dir.get(), folder, name, content, mode, true);
  }
  // As the person (or sanso run by itself): their own link at the name is theirs to write
  // through; another account's — planted in /tmp, say — is not followed.
  UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode));
  if (!out && errno == ELOOP) {
    struct stat ls {};
    if (::lstat(path.c_str(), &ls) != 0 || (ls.st_uid != person().uid && ls.st_uid != 0)) {
      return make_error("cli.unwritable", where, "a symbolic link of another account's at this name: not written through");
    }
    out = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, mode));
  }
  if (!out) return make_error("cli.unwritable", where, "cannot create the file: " + because(errno));
  struct stat st {};
  if (::fstat(out.get(), &st) != 0) return make_error("cli.unwritable", where, "cannot stat the file: " + because(errno));
  if (S_ISDIR(st.st_mode)) return make_error("cli.unwritable", where, "a folder, not a file");
  if (S_ISREG(st.st_mode)) {
    // Narrowed before a byte is written: what is exported from the store is as private as the store.
    if (private_file && (st.st_mode & 077) != 0 && ::fchmod(out.get(), st.st_mode & 0700) != 0) {
      return make_error("cli.unwritable", where, "cannot make the file private (0600): " + because(errno));
    }
    if (::ftruncate(out.get(), 0) != 0) return make_error("cli.unwritable", where, "cannot empty the file: " + because(errno));
  }
  if (!write_all(out.get(), content)) return make_error("cli.unwritable", where, "cannot write the file: " + because(errno));
  if (S_ISREG(st.st_mode) && ::fsync(out.get()) != 0) return make_error("cli.unwritable", where, "cannot write the file to disk: " + because(errno));
  return ok();
}


namespace {

// `dir` becomes its folder `part` (at `at`), made with `mode` when missing and opened without
// following a link; sanso's own account acting for someone else enters only folders theirs.
Result<void> step_into_folder(const AsThePerson& as_them, UniqueFd& dir, const std::string& part, const fs::path& at, mode_t mode) {
  const bool made = ::mkdirat(dir.get(), part.c_str(), mode) == 0;
  if (!made && errno != EEXIST) return make_error("cli.unwritable", at.string(), "cannot create the folder: " + because(errno));
  const int next = ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (next < 0) {
    const int e = errno;
    if (e == ELOOP || e == ENOTDIR) return make_error("cli.unwritable", at.string(), "a link or a file stands where this folder should be: nothing written through it");
    return make_error("cli.unwritable", at.string(), "cannot open the folder: " + because(e));
  }
  dir.reset(next);
  if (!folder_is_theirs(as_them, dir.get(), made)) {
    return make_error("cli.unwritable", at.string(), "not a folder you (the person running sanso) may write into: nothing written");
  }
  return ok();
}

// Makes the missing folders of `folder` as the person and opens the last: from the deepest folder
// that exists (the path the person typed: their links followed), each further one made and opened
// from the one before, never following a link — a folder swapped for a link between two steps is
// refused, not entered.
Result<UniqueFd> make_and_open_folders(const fs::path& folder, mode_t mode) {
  SANSO_TRY(person_known(folder.string()));
  AsThePerson as_them;
  std::error_code ec;
  fs::path existing = folder;
  std::vector<std::string> missing;
  while (!existing.empty() && !fs::exists(existing, ec)) {
    missing.push_back(existing.filename().string());
    existing = existing.parent_path();
  }
  if (existing.empty()) existing = ".";
  UniqueFd dir(::open(existing.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return make_error("cli.unwritable", existing.string(), "cannot open the folder: " + because(errno));
  if (!folder_open_to_them(as_them, dir.get())) {
    return make_error("cli.unwritable", folder.string(),
                      "not under a folder you (the person running sanso) may write into: nothing made (sanso runs as its own account here)");
  }
  fs::path at = existing;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const std::string& part = *it;
    at /= part;
    if (part.empty() || part == ".") continue;
    if (part == "..") return make_error("cli.unwritable", folder.string(), "a name that climbs out of the folder being made");
    SANSO_TRY(step_into_folder(as_them, dir, part, at, mode));
  }
  return dir;
}

}  // namespace

Result<OutputFolder> OutputFolder::create(const fs::path& root, mode_t mode) {
  OutputFolder out;
  out.root_ = root;
  out.fd_ = std::make_shared<UniqueFd>(SANSO_TRY(make_and_open_folders(root, mode)));
  return out;
}

Result<void> write_named_file_from(const fs::path& output, const std::function<Result<void>(const std::string&)>& produce, mode_t mode) {
  if (!output.has_filename()) return make_error("cli.unwritable", output.string(), "not a file name");
  std::error_code ec;
  std::string folder = (fs::temp_directory_path(ec) / "sanso-out-XXXXXX").string();
  if (ec || ::mkdtemp(folder.data()) == nullptr) return make_error("cli.unwritable", folder, "cannot make a private temporary folder: " + because(errno));
  const fs::path made = fs::path(folder) / output.filename();
  Result<void> written = [&]() -> Result<void> {
    SANSO_TRY(produce(made.string()));
    // A report or a table: what the configured limits allow the store to hold, far under this.
    return write_named_file(output, SANSO_TRY(read_regular_file(folder, output.filename(), std::uint64_t{1} << 32, false)), mode);
  }();
  fs::remove_all(folder, ec);
  return written;
}

Result<fs::path> OutputFolder::write(const fs::path& relative, std::string_view content, Existing existing, mode_t mode, bool durable) const {
  std::vector<std::string> folders;
  std::string name;
  if (!split_relative(relative, folders, name)) return make_error("cli.unwritable", relative.string(), "not a name under the output folder");
  AsThePerson as_them;
  // Into the folder opened at the start of the run, whatever has been renamed or linked in its
  // place since: a writer of its parent cannot send the rest of the run elsewhere.
  UniqueFd dir(::openat(fd_->get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return make_error("cli.unwritable", root_.string(), "cannot open the output folder: " + because(errno));
  fs::path at = root_;
  for (const auto& folder : folders) {
    at /= folder;
    SANSO_TRY(step_into_folder(as_them, dir, folder, at, 0755));
  }
  if (existing == Existing::kNumberAnew) {
    const fs::path wanted(name);
    for (int n = 1; n < 10000; ++n) {
      const std::string file = n == 1 ? name : wanted.stem().string() + " (" + std::to_string(n) + ")" + wanted.extension().string();
      if (SANSO_TRY(write_new_file(dir.get(), at, file, content, mode, durable))) return at / file;
    }
    return make_error("cli.unwritable", (at / name).string(), "too many files of this name in the folder");
  }
  SANSO_TRY(replace_in_folder(dir.get(), at, name, content, mode, durable));
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
