// gallery/postgres_gallery_store against a real PostgreSQL cluster (tests/postgres_server.h):
// what only the shared database does (notifications between hosts, renames that reach
// followers, the documented least-privilege grants) and its failure modes (a wrong password, an
// unreachable server, a missing database, missing grants, the server stopped mid-run under a
// running matcher), each a one-line error that names the URI without its password.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "base/error.h"
#include "gallery/identity_matcher.h"
#include "gallery/postgres_gallery_store.h"
#include "tests/gallery_fixtures.h"
#include "tests/loopback_port.h"
#include "tests/postgres_server.h"

namespace hat {
namespace {

using namespace test;  // the gallery fixtures: unit, near, sighting, expect_error
using Clock = std::chrono::steady_clock;

const EmbeddingSpace kSpace{"tiny", kDim};

TEST(PostgresGallery, RedactsThePasswordFromEveryFormOfTheUri) {
  EXPECT_EQ(redact_postgres_uri("postgresql://hat:s3cret@db.site:5432/gallery?sslmode=require"),
            "postgresql://hat@db.site:5432/gallery?sslmode=require");
  EXPECT_EQ(redact_postgres_uri("postgres://hat@db/g?password=s3cret&sslmode=require"),
            "postgres://hat@db/g?sslmode=require");
  EXPECT_EQ(redact_postgres_uri("postgresql://db/g?sslmode=require&password=s3cret"),
            "postgresql://db/g?sslmode=require");
  EXPECT_EQ(redact_postgres_uri("postgresql://db/g"), "postgresql://db/g");
  EXPECT_TRUE(is_postgres_location("postgres://db/g"));
  EXPECT_FALSE(is_postgres_location("/var/lib/hat/gallery.db"));
}

TEST(PostgresGallery, BadCredentialsAndUnreachableServersAreOneLineErrorsWithoutThePassword) {
  auto& server = shared_postgres();
  const std::string db = server.create_database();
  const std::string wrong = server.uri(db.substr(db.rfind('/') + 1), "not-the-password");
  const std::string redacted = redact_postgres_uri(wrong);
  auto expect_clean = [&](const std::string& uri, const std::string& expected) {
    try {
      PostgresGalleryStore store(uri);
      ADD_FAILURE() << "opened " << uri;
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(expected), std::string::npos) << m;
      EXPECT_NE(m.find(redact_postgres_uri(uri)), std::string::npos) << m;
      EXPECT_EQ(m.find("not-the-password"), std::string::npos) << m;
      EXPECT_EQ(m.find(server.password()), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      std::printf("%s\n", m.c_str());
    }
  };
  expect_clean(wrong, "password authentication failed");
  expect_clean("postgresql://hat:not-the-password@127.0.0.1:" + std::to_string(free_port()) + "/g",
               "Connection refused");
  expect_clean(server.uri("no_such_db", server.password()), "does not exist");
  // TLS options reach libpq as they are: this test server has no TLS, so requiring it fails.
  expect_clean(wrong + "?sslmode=require", "server does not support SSL");
  // Read-only tools on an empty database: nothing to read yet.
  try {
    PostgresGalleryStore store(db, {.read_only = true});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no hat gallery yet"), std::string::npos) << e.what();
  }
}

TEST(PostgresGallery, ARoleWithTheDocumentedGrantsWritesAndOneWithoutThemIsToldWhatItNeeds) {
  auto& server = shared_postgres();
  const std::string uri = server.create_database();
  const std::string db = uri.substr(uri.rfind('/') + 1);
  {
    PostgresGalleryStore owner(uri);  // the first start creates the tables
    owner.require_space(kSpace);
  }
  server.superuser_sql("postgres", "CREATE ROLE host_" + db + " LOGIN PASSWORD 'host-pw'");
  const std::string host_uri =
      "postgresql://host_" + db + ":host-pw@127.0.0.1:" + std::to_string(server.port()) + "/" + db;
  try {
    PostgresGalleryStore store(host_uri);
    store.create_identity("", 1);
    ADD_FAILURE() << "wrote without grants";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("docs/SCALE.md"), std::string::npos) << e.what();
  }
  // The grants docs/SCALE.md gives a host's role (the owner made the tables).
  server.superuser_sql(
      db, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO host_" + db +
              "; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO host_" + db);
  PostgresGalleryStore store(host_uri);
  const int64_t id = store.create_identity("", 1);
  std::vector<SightingRecord> s = {sighting(id, 3, 10, unit(1))};
  store.add_sightings(s);
  store.merge_identity(id, store.create_identity("", 2), 20);
  EXPECT_EQ(store.sighting_count(), 1);
  EXPECT_EQ(store.purge_before(100).sightings, 1);
}

TEST(PostgresGallery, AnotherHostsWriteIsNotifiedAtOnceAndRenamesReachFollowers) {
  const std::string uri = shared_postgres().create_database();
  PostgresGalleryStore a(uri), b(uri);
  a.require_space(kSpace);
  GalleryCursor cursor;
  b.changes_since(cursor, 0);
  while (b.take_change_notice()) {  // the space's own notification
  }
  const int64_t id = a.create_identity("", 1);
  EXPECT_FALSE(a.take_change_notice()) << "a writer is not notified of its own writes";
  // Latency from one host's commit to another host's notice, over several writes.
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    std::vector<SightingRecord> s = {sighting(id, 9, 100 + i, unit(i))};
    const auto written = Clock::now();
    a.add_sightings(s);
    while (!b.take_change_notice()) {
      ASSERT_LT(Clock::now() - written, std::chrono::seconds(5)) << "no notification";
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - written).count());
    const auto changes = b.changes_since(cursor, 0);
    ASSERT_EQ(changes.sightings.size(), 1u);
    EXPECT_EQ(changes.sightings[0].time_us, 100 + i);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("commit on host A to notice on host B: median %.2f ms, worst %.2f ms (20 writes)\n",
              ms[ms.size() / 2], ms.back());
  a.rename_identity(id, "dora");
  while (!b.take_change_notice()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto changes = b.changes_since(cursor, 0);
  ASSERT_EQ(changes.identities.size(), 1u);
  EXPECT_EQ(changes.identities[0].label, "dora");
  // A host's own sightings are left out, but move its cursor past them.
  std::vector<SightingRecord> own = {sighting(id, 77, 500, unit(50))};
  a.add_sightings(own);
  EXPECT_TRUE(b.changes_since(cursor, 77).sightings.empty());
  EXPECT_TRUE(b.changes_since(cursor, 0).sightings.empty());
}

TrackObservation obs(int track, const std::vector<float>& e) { return observation(track, e); }

TEST(PostgresGallery, AServerStoppedMidRunLosesNothingAndTheMatcherNeverStalls) {
  // A server of its own: the shared one must not go away under other tests.
  PostgresServer server;
  const std::string uri = server.create_database();
  MatchPolicy policy;
  policy.threshold = 0.3;
  policy.sighting_interval_us = 0;  // a sighting per embedding: many writes to queue
  policy.sync_interval_us = 0;
  IdentityMatcher matcher(policy, std::make_unique<PostgresGalleryStore>(uri));
  const auto alice = unit(1), bob = unit(2);
  int64_t t = 1000000;
  auto frame = [&](int i) {
    return matcher.process_frame("lobby", t += 100000, kSpace,
                                 {obs(1, near(alice, 0.1, i)), obs(2, near(bob, 0.1, 1000 + i))});
  };
  FrameIdentities f;
  for (int i = 0; i < 10; ++i) f = frame(i);
  const int64_t a = f.tracks.at(0).global_id, b = f.tracks.at(1).global_id;
  ASSERT_FALSE(f.warning) << f.warning->message;
  server.stop();
  double worst_ms = 0;
  int warned = 0;
  for (int i = 10; i < 40; ++i) {
    const auto start = Clock::now();
    f = frame(i);
    worst_ms =
        std::max(worst_ms, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    // Matching goes on from memory: both keep their identities.
    ASSERT_EQ(f.tracks.size(), 2u);
    EXPECT_EQ(f.tracks[0].global_id, a);
    EXPECT_EQ(f.tracks[1].global_id, b);
    if (f.warning) {
      ++warned;
      EXPECT_EQ(f.warning->message.find(server.password()), std::string::npos);
      EXPECT_NE(f.warning->message.find("kept for a retry"), std::string::npos)
          << f.warning->message;
    }
  }
  EXPECT_EQ(warned, 30);
  EXPECT_LT(worst_ms, 200.0) << "a frame waited on the lost server";
  std::printf("server down for 30 frames: worst frame %.1f ms, %d warnings\n", worst_ms, warned);
  server.start();
  // The back-off is at most a few seconds here: the queue drains on a later frame.
  const auto back = Clock::now();
  int i = 40;
  for (; Clock::now() - back < std::chrono::seconds(10); ++i) {
    f = frame(i);
    if (!f.warning) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(f.warning) << f.warning->message;
  std::printf("reconnected and drained %.2f s after the restart\n",
              std::chrono::duration<double>(Clock::now() - back).count());
  matcher.flush();
  // Every sighting the matcher made is in the database: 2 per frame, none lost, none twice.
  PostgresGalleryStore check(uri);
  EXPECT_EQ(check.sighting_count(), 2 * i + 2);
  std::set<int64_t> ids;
  for (const auto& r : check.identity_records()) ids.insert(r.id);
  EXPECT_EQ(ids, (std::set<int64_t>{a, b}));
  // New identities after the outage are still unique.
  const int64_t c = check.create_identity("", t);
  EXPECT_GT(c, std::max(a, b));
}

}  // namespace
}  // namespace hat
