// Who runs this process, as the kernel knows it — never as the environment claims. $SUDO_USER,
// $USER and --as are words anyone can type; the real uid, the login uid the kernel keeps for the
// session (pam_loginuid), and the real uid of whoever started a sudo found among this process's
// ancestors are not. Four-eyes checks compare `person_uid()`; audit records carry `via()`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sanso {

struct OsIdentity {
  std::uint32_t real_uid = 0;
  // /proc/self/loginuid when a login set it (unset is 4294967295): the account someone logged in
  // with, kept by the kernel across su and sudo. Believed only when the process that set it is a
  // strict ancestor running as root one of the programs that open login sessions through
  // pam_loginuid (OsIdentitySources::login_programs: sshd, login, cron, …): the kernel lets any
  // process whose login uid is unset write its own once, without privilege, and a process that
  // wrote one can then become root in place (doas, pkexec) running another program — so a value
  // first carried by anything else, or by a program we cannot see, is a claim.
  std::optional<std::uint32_t> login_uid;
  // A login uid that no such ancestor set: kept as evidence of the claim, never believed.
  std::optional<std::uint32_t> unverified_login_uid;
  // The real uid of the process that started the nearest sudo ancestor, when that matches
  // $SUDO_UID: who typed `sudo`.
  std::optional<std::uint32_t> sudo_uid;
  int sudo_pid = 0;
  // $SUDO_UID/$SUDO_USER as given, when the process chain does not bear them out: kept as
  // evidence of the claim, never believed.
  std::string unverified_sudo_claim;
  // With no login uid and no sudo borne out: the real uid of the nearest ancestor that runs as
  // another account than ours, when that account is not root. A process of an ordinary account
  // cannot start one of another account except through a set-uid program (pkexec, doas, su and
  // sudo run the command as the account they switch to, pkexec and doas in their own process):
  // that ancestor's account is who asked. An ancestor of root's started us: nobody elevated.
  std::optional<std::uint32_t> elevated_from;
  int elevated_pid = 0;
  // With none of those: the account whose login session holds this process — systemd's
  // user-N.slice cgroup, which a process can leave only for a cgroup it may write to, never a
  // system one — when it is not the real uid. An in-place elevation (doas, pkexec) whose starter
  // has exited hangs under init as a root service does; its cgroup still says whose session it
  // came from.
  std::optional<std::uint32_t> session_uid;

  // The person behind the process: the login uid, else the verified sudo user, else the account
  // that elevated, else the account of the login session holding it, else the real uid.
  std::uint32_t person_uid() const;
  // "uid 1000": what two actions must not share to count as two people.
  std::string account() const;
  // For audit records: "os user root (uid 0); login uid 1000 (tanaka); sudo by uid 1000 (tanaka), pid 4242".
  std::string via() const;
};

// Where the identity is read from; tests point `proc` at a tree of their own.
struct OsIdentitySources {
  std::string proc = "/proc";
  std::uint32_t real_uid = 0;
  int parent_pid = 0;
  std::optional<std::string> sudo_uid_env;   // $SUDO_UID
  std::optional<std::string> sudo_user_env;  // $SUDO_USER
  // The programs, as installed (root's, writable by nobody else), whose setting of a login uid is
  // believed: those that open a login session through pam_loginuid on Debian.
  std::vector<std::string> login_programs = {"/usr/sbin/sshd",  "/usr/lib/openssh/sshd-session", "/usr/bin/login",  "/usr/sbin/cron",
                                             "/usr/sbin/atd",   "/usr/libexec/gdm-session-worker", "/usr/sbin/lightdm"};
};

OsIdentity read_os_identity(const OsIdentitySources& sources);
// This process: getuid(), getppid(), /proc and the environment.
OsIdentity os_identity_of_this_process();

// The account name of a uid from the passwd database; "" when it has none.
std::string user_name_of(std::uint32_t uid);

}  // namespace sanso
