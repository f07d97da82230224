#include "tests/postgres_server.h"

#include <glob.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "tests/loopback_port.h"

namespace hat::test {
namespace {

std::string postgres_bin() {
  glob_t g{};
  std::string found;
  if (glob("/usr/lib/postgresql/*/bin/postgres", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
    found = g.gl_pathv[g.gl_pathc - 1];  // the newest major version
  globfree(&g);
  if (found.empty())
    throw std::runtime_error(
        "PostgreSQL is not installed: scripts/install-deps.sh installs Debian's postgresql");
  return std::filesystem::path(found).parent_path();
}

std::string sql_literal(const std::string& s) { return "'" + s + "'"; }  // SQL; no ' in our values

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

PostgresServer::PostgresServer() : bin_(postgres_bin()), port_(free_port()) {
  char tmpl[] = "/tmp/hat-postgres-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  password_ = "pw-" + std::to_string(port_) + "-" + std::to_string(getpid());
  if (geteuid() == 0) {
    // initdb and postgres refuse to run as root: the folder is the postgres user's.
    const passwd* pg = getpwnam("postgres");
    if (!pg) throw std::runtime_error("no postgres user (Debian's postgresql package makes it)");
    if (chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown failed");
  }
  run("echo " + sql_literal(password_) + " > " + dir_ + "/pwfile && " + bin_ +
      "/initdb --no-sync -U hatadmin -E UTF8 --auth-local=trust --auth-host=scram-sha-256"
      " --pwfile=" +
      dir_ + "/pwfile -D " + dir_ + "/data");
  start();
  superuser_sql("postgres", "CREATE ROLE hat LOGIN PASSWORD " + sql_literal(password_));
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PostgresServer::run(const std::string& command) const {
  const std::string as_server = geteuid() == 0 ? "runuser -u postgres -- " : "";
  const std::string line =
      as_server + "sh -c " + shell_quoted(command) + " >>" + dir_ + "/log 2>&1";
  if (std::system(line.c_str()) != 0) {
    std::ifstream log(dir_ + "/log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    throw std::runtime_error("postgres test server: failed: " + command + "\n" + text);
  }
}

void PostgresServer::start() {
  // fsync off: a throw-away cluster; a server stop still keeps every commit (no OS crash here).
  run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-p " +
      std::to_string(port_) + " -k " + dir_ +
      " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60\" start");
  running_ = true;
  for (int i = 0; i < 200 && !accepts(port_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
}

void PostgresServer::stop() {
  if (!running_) return;
  running_ = false;
  run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop");
}

void PostgresServer::superuser_sql(const std::string& db, const std::string& sql) const {
  run(bin_ + "/psql -X -q -v ON_ERROR_STOP=1 -h " + dir_ + " -p " + std::to_string(port_) +
      " -U hatadmin -d " + db + " -c \"" + sql + "\"");
}

std::string PostgresServer::create_database() {
  const std::string db = "gallery" + std::to_string(++databases_);
  superuser_sql("postgres", "CREATE DATABASE " + db + " OWNER hat");
  return uri(db, password_);
}

std::string PostgresServer::uri(const std::string& db, const std::string& password) const {
  return "postgresql://hat:" + password + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

PostgresServer& shared_postgres() {
  static std::unique_ptr<PostgresServer> server;
  // Removed by the static's destructor at exit; forked writers leave through _exit instead.
  if (!server) server = std::make_unique<PostgresServer>();
  return *server;
}

}  // namespace hat::test
