// A private OpenLDAP server for tests: its own configuration, database, throwaway CA and server
// certificate (IP:127.0.0.1), on loopback ports of its own, with the entries the test gives. Skips
// nothing itself: available() says whether it started (slapd or openssl missing → false).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/free_port.h"

namespace sanso::testing {

// A small city directory: tanaka in 情報政策係 (jouhou), nested in security-managers; suzuki at
// the internet desk; yamada locked; "both" in groups of both sides; loop-a and loop-b hold each other.
inline constexpr const char* kCityDirectory = R"(dn: dc=city,dc=example
objectClass: dcObject
objectClass: organization
dc: city
o: Minamata City

dn: ou=people,dc=city,dc=example
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=city,dc=example
objectClass: organizationalUnit
ou: groups

dn: uid=tanaka,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: tanaka
uid: ichiro.tanaka
cn: Tanaka Ichiro
sn: Tanaka
displayName:: 55Sw5LitIOS4gOmDjg==
mail: tanaka@city.example.lg.jp
userPassword: tanaka-pass

dn: uid=suzuki,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: suzuki
cn: Suzuki Hanako
sn: Suzuki
userPassword: suzuki-pass

dn: uid=yamada,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: yamada
cn: Yamada Taro
sn: Yamada
userPassword: yamada-pass
pwdAccountLockedTime: 000001010000Z

dn: uid=both,ou=people,dc=city,dc=example
objectClass: inetOrgPerson
uid: both
cn: Both Sides
sn: Both
userPassword: both-pass

dn: cn=jouhou,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: jouhou
member: uid=tanaka,ou=people,dc=city,dc=example
member: uid=both,ou=people,dc=city,dc=example

dn: cn=security-managers,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: security-managers
member: cn=jouhou,ou=groups,dc=city,dc=example

dn: cn=internet-desk,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: internet-desk
member: uid=suzuki,ou=people,dc=city,dc=example
member: uid=both,ou=people,dc=city,dc=example

dn: cn=loop-a,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: loop-a
member: cn=loop-b,ou=groups,dc=city,dc=example
member: uid=suzuki,ou=people,dc=city,dc=example

dn: cn=loop-b,ou=groups,dc=city,dc=example
objectClass: groupOfNames
cn: loop-b
member: cn=loop-a,ou=groups,dc=city,dc=example
)";

class SlapdServer {
 public:
  static constexpr const char* kSuffix = "dc=city,dc=example";

  SlapdServer(const std::filesystem::path& dir, const std::string& ldif) : dir_(dir) {
    if (!std::filesystem::exists("/usr/sbin/slapd") || !std::filesystem::exists("/usr/bin/openssl")) return;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "db");
    if (!make_certificates()) return;
    ldap_port_ = free_port();
    ldaps_port_ = free_port();
    const std::string d = dir_.string();
    // Active Directory's userPrincipalName (its OID, compared without regard to case as AD does),
    // on an auxiliary class, so that tests can give entries the name an AD account binds with.
    std::ofstream(dir_ / "ad.schema") << "attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch "
                                         "SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )\n"
                                         "objectclass ( 1.3.6.1.4.1.4203.666.11.9.1 NAME 'sansoTestAdAccount' AUXILIARY MAY userPrincipalName )\n";
    std::ofstream(dir_ / "slapd.conf") << "include /etc/ldap/schema/core.schema\n"
                                          "include /etc/ldap/schema/cosine.schema\n"
                                          "include /etc/ldap/schema/inetorgperson.schema\n"
                                       << "include " << d << "/ad.schema\n"
                                          "modulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload ppolicy\n"
                                       << "pidfile " << d << "/slapd.pid\n"
                                       << "TLSCACertificateFile " << d << "/ca.pem\nTLSCertificateFile " << d << "/server.pem\nTLSCertificateKeyFile " << d
                                       << "/server.key\n"
                                       << "database mdb\nmaxsize 10485760\nsuffix \"" << kSuffix << "\"\nrootdn \"cn=admin," << kSuffix
                                       << "\"\nrootpw admin-secret\ndirectory " << d << "/db\n"
                                       << "overlay ppolicy\n";
    std::ofstream(dir_ / "data.ldif") << ldif;
    const std::string conf = (dir_ / "slapd.conf").string(), data = (dir_ / "data.ldif").string();
    if (run("/usr/sbin/slapadd -f " + conf + " -l " + data + " >" + d + "/slapadd.log 2>&1") != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      const std::string urls = "ldap://127.0.0.1:" + std::to_string(ldap_port_) + "/ ldaps://127.0.0.1:" + std::to_string(ldaps_port_) + "/";
      if (FILE* log = std::freopen((d + "/slapd.log").c_str(), "w", stderr)) (void)log;
      execl("/usr/sbin/slapd", "slapd", "-f", conf.c_str(), "-h", urls.c_str(), "-d", "0", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !accepts(ldap_port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    started_ = accepts(ldap_port_);
  }
  ~SlapdServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  SlapdServer(const SlapdServer&) = delete;
  SlapdServer& operator=(const SlapdServer&) = delete;

  bool available() const { return started_; }
  std::string ldap_uri() const { return "ldap://127.0.0.1:" + std::to_string(ldap_port_); }
  std::string ldaps_uri() const { return "ldaps://127.0.0.1:" + std::to_string(ldaps_port_); }
  std::string ca_file() const { return (dir_ / "ca.pem").string(); }
  std::string other_ca_file() const { return (dir_ / "other-ca.pem").string(); }  // a CA that signed nothing here
  // Stops the server (the directory down); the object stays for its paths.
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  static int run(const std::string& command) { return std::system(command.c_str()); }

  bool make_certificates() {
    const std::string d = dir_.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::ofstream(dir_ / "san.cnf") << "subjectAltName=IP:127.0.0.1\n";
    return run("cd " + d + " && openssl req -x509" + ec + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=Sanso test CA' >openssl.log 2>&1") == 0 &&
           run("cd " + d + " && openssl req -x509" + ec + " -keyout other-ca.key -out other-ca.pem -days 2 -subj '/CN=Another CA' >>openssl.log 2>&1") == 0 &&
           run("cd " + d + " && openssl req" + ec + " -keyout server.key -out server.csr -subj '/CN=127.0.0.1' >>openssl.log 2>&1") == 0 &&
           run("cd " + d + " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.cnf >>openssl.log 2>&1") == 0;
  }

  static int free_port() { return sanso::testing::free_tcp_port(); }

  static bool accepts(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return ok;
  }

  std::filesystem::path dir_;
  int ldap_port_ = 0, ldaps_port_ = 0;
  pid_t pid_ = -1;
  bool started_ = false;
};

}  // namespace sanso::testing
