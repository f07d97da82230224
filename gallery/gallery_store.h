// The persistent gallery: an SQLite file of identities, their labels and their sightings (camera,
// time, box, fp16 embedding), shared by every pipeline and tool on one machine.
//
// WAL mode lets readers run beside the one writer; every write is one IMMEDIATE transaction, so
// a killed process leaves the file readable with every committed sighting. Ids only grow
// (AUTOINCREMENT), which lets another process follow the changes by id. The file is created
// owner-only (0600): it holds biometric templates.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace hat {

struct Box {
  int x = 0, y = 0, width = 0, height = 0;
};

// Which embeddings the gallery holds: embeddings of different models are not comparable.
struct EmbeddingSpace {
  std::string model;  // preset, e.g. "hat-r18"
  int dim = 0;
};

struct IdentityRecord {
  int64_t id = 0;
  std::string label;  // "" when not enrolled
  int64_t created_us = 0;
};

struct SightingRecord {
  int64_t id = 0;  // set when written
  int64_t identity = 0;
  uint64_t session = 0;  // the process-run that saw it (0 for enrolment)
  std::string camera;
  int64_t track = 0;
  int64_t time_us = 0;  // Unix time, microseconds
  Box box;
  bool enrolled = false;  // watch-list images: kept by retention and purge
  std::vector<float> embedding;
  // A JPEG crop written with the sighting when not empty; `thumbnail_score` ranks an identity's
  // crops (the best one is its picture). Read back only as `has_thumbnail` and thumbnail().
  std::string thumbnail_jpeg;
  double thumbnail_score = 0;
  bool has_thumbnail = false;
};

// Which of an identity's sightings to read: a camera ("" : any) and a time range, newest first.
struct SightingFilter {
  std::string camera;
  int64_t from_us = std::numeric_limits<int64_t>::min();
  int64_t to_us = std::numeric_limits<int64_t>::max();
  int64_t limit = 1000;
};

struct IdentitySummary {
  IdentityRecord identity;
  int64_t sightings = 0;
  std::vector<std::string> cameras;
  int64_t first_us = 0, last_us = 0;
};

// What other processes wrote since a cursor (ids greater than the cursor's).
struct GalleryCursor {
  int64_t identity = 0, sighting = 0, merge = 0;
};
struct GalleryChanges {
  std::vector<IdentityRecord> identities;
  std::vector<SightingRecord> sightings;
  std::vector<std::pair<int64_t, int64_t>> merges;  // (from, into)
};

struct GalleryOpenOptions {
  bool read_only = false;      // tools that only read (list, search, export)
  bool create = true;          // create the file when it is missing
  int busy_timeout_ms = 5000;  // how long to wait for another process's write
};

class GalleryStore {
 public:
  // hat::Error, naming the file, for a missing (with create=false), unreadable, read-only,
  // locked, corrupt or foreign file; the file is then left as it was.
  GalleryStore(std::string path, const GalleryOpenOptions& options = {});
  ~GalleryStore();
  GalleryStore(const GalleryStore&) = delete;
  GalleryStore& operator=(const GalleryStore&) = delete;

  const std::string& path() const { return path_; }

  // The embedding space, recorded by the first write; nullopt for a new gallery.
  std::optional<EmbeddingSpace> space() const;
  // Whether the gallery has an embedding space yet; hat::Error when it holds another one.
  bool check_space(const EmbeddingSpace& space) const;
  // Records `space` in a new gallery; hat::Error when the gallery holds another one.
  void require_space(const EmbeddingSpace& space);

  int64_t create_identity(const std::string& label, int64_t time_us);
  std::optional<int64_t> identity_by_label(const std::string& label) const;
  // Writes the sightings in one transaction and sets their ids; nothing is written on error.
  // A sighting of an identity that no longer exists (deleted by another process) is skipped
  // (id 0). Thumbnails beyond `thumbnails_per_identity` per identity are deleted: its best one
  // stays, and the newest others.
  void add_sightings(std::vector<SightingRecord>& sightings, int thumbnails_per_identity = 8);
  // Moves every sighting of `from` to `into` and deletes `from`.
  void merge_identity(int64_t from, int64_t into, int64_t time_us);

  // Changes after `cursor` not made by `session` (0: every change); advances the cursor.
  GalleryChanges changes_since(GalleryCursor& cursor, uint64_t session) const;

  std::vector<IdentitySummary> identities() const;
  std::optional<IdentitySummary> identity(int64_t id) const;
  // The forensic search: an identity's sightings that pass the filter, newest first, without
  // embeddings.
  std::vector<SightingRecord> sightings_of(int64_t identity, const SightingFilter& filter) const;
  // A sighting's JPEG crop; nullopt when it has none.
  std::optional<std::string> thumbnail(int64_t sighting) const;
  // The sighting whose crop is the identity's best; nullopt without any.
  std::optional<int64_t> best_thumbnail(int64_t identity) const;
  // hat::Error when there is no such identity or another one has the label ("" : no label).
  void rename_identity(int64_t id, const std::string& label);
  // Deletes the identity with its sightings and thumbnails; false when there was none. Running
  // pipelines keep it in memory until they restart, and their new sightings of it are dropped.
  bool delete_identity(int64_t id);
  std::vector<IdentityRecord> identity_records() const;
  // Every sighting in id order, embeddings decoded when `with_embeddings`.
  void for_each_sighting(const std::function<void(const SightingRecord&)>& visit,
                         bool with_embeddings) const;
  int64_t sighting_count() const;

  struct PurgeResult {
    int64_t sightings = 0, identities = 0;
  };
  // Deletes the sightings older than `time_us` (never enrolled ones) and the unlabelled
  // identities left without any sighting.
  PurgeResult purge_before(int64_t time_us);

  // SQLite's integrity check: "ok" for a sound file.
  std::string integrity_check() const;

 private:
  class Statement;
  friend class Statement;
  void exec(const char* sql) const;
  [[noreturn]] void fail(int rc, const std::string& what) const;
  void with_transaction(const std::function<void()>& body);
  void switch_to_wal();
  void create_schema();
  void upgrade_to_thumbnails();
  // A row of kSightingColumns; the embedding is decoded unless `expected_dim` < 0, and checked
  // against it when > 0.
  void read_sighting(const Statement& q, SightingRecord& s, int expected_dim) const;

  std::string path_;
  int busy_timeout_ms_ = 0;
  bool has_thumbnails_ = true;  // false for a version-1 file opened read-only
  sqlite3* db_ = nullptr;
};

}  // namespace hat
