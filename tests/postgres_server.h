// The PostgreSQL tests' real part: a throw-away cluster of Debian's postgresql (installed by
// scripts/install-deps.sh): initdb into a fresh temporary folder, a free loopback port,
// password (SCRAM) authentication for a non-superuser role, stopped and started again at will,
// removed at the end. Run as root (as CI does), the server runs as Debian's postgres user, which
// initdb requires.
#pragma once

#include <string>

namespace hat::test {

class PostgresServer {
 public:
  PostgresServer();  // initdb and start; std::runtime_error when PostgreSQL is not installed
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  void start();  // on the same port; returns once it accepts connections
  void stop();   // fast shutdown: open connections are cut, committed work stays

  // A new empty database owned by the test role (no superuser); its URI with the password.
  std::string create_database();
  // The URI of database `db` for the test role with `password`.
  std::string uri(const std::string& db, const std::string& password) const;
  const std::string& password() const { return password_; }
  // Runs `sql` as the cluster's superuser in database `db` (through the Unix socket).
  void superuser_sql(const std::string& db, const std::string& sql) const;

 private:
  void run(const std::string& command) const;  // as the server's user; throws on failure

  std::string bin_, dir_, password_;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
};

// The suite's one cluster, started on first use and removed when the process exits.
PostgresServer& shared_postgres();

}  // namespace hat::test
