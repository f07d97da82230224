// The persistent gallery: identities, their labels and their sightings (camera, time, box, fp16
// embedding, optional JPEG crop), shared by every pipeline and tool that opens the same
// location. One interface, two implementations (open_gallery picks by the location):
//  - a file path: SQLite, for the pipelines and tools of one machine
//    (gallery/sqlite_gallery_store.h);
//  - a postgresql:// URI: a PostgreSQL database, for several hosts that must agree on who is who
//    (gallery/postgres_gallery_store.h).
// Both keep the same concepts: one embedding space per gallery (the model check), identity ids
// unique over every writer, every write one transaction (a killed writer leaves every committed
// sighting and nothing half-written), and a change cursor that lets another process follow what
// was written (changes_since).
//
// Every failure is a hat::Error with one line that names the location (a URI without its
// password); a write that failed wrote nothing and can be retried.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

// What other processes wrote since a cursor: an opaque position per table, only ever growing.
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
  int busy_timeout_ms = 5000;  // how long to wait for another process's write (or lock)
};

class GalleryStore {
 public:
  virtual ~GalleryStore() = default;
  GalleryStore(const GalleryStore&) = delete;
  GalleryStore& operator=(const GalleryStore&) = delete;

  // The file path, or the URI without its password: what every error message names.
  virtual const std::string& location() const = 0;

  // The embedding space, recorded by the first write; nullopt for a new gallery.
  virtual std::optional<EmbeddingSpace> space() const = 0;
  // Whether the gallery has an embedding space yet; hat::Error when it holds another one.
  bool check_space(const EmbeddingSpace& space) const;
  // Records `space` in a new gallery; hat::Error when the gallery holds another one.
  virtual void require_space(const EmbeddingSpace& space) = 0;

  // A new identity's id: unique across every process and host writing the gallery, and greater
  // than every id this process has created before.
  virtual int64_t create_identity(const std::string& label, int64_t time_us) = 0;
  virtual std::optional<int64_t> identity_by_label(const std::string& label) const = 0;
  // Writes the sightings in one transaction and sets their ids; nothing is written on error.
  // A sighting of an identity that no longer exists (deleted by another process) is skipped
  // (id 0). Thumbnails beyond `thumbnails_per_identity` per identity are deleted: its best one
  // stays, and the newest others.
  virtual void add_sightings(std::vector<SightingRecord>& sightings,
                             int thumbnails_per_identity = 8) = 0;
  // Moves every sighting of `from` to `into` and deletes `from`; every follower sees the merge.
  virtual void merge_identity(int64_t from, int64_t into, int64_t time_us) = 0;

  // Changes after `cursor` not made by `session` (0: every change); advances the cursor.
  // Identities come again when renamed where the backend can tell (PostgreSQL).
  virtual GalleryChanges changes_since(GalleryCursor& cursor, uint64_t session) const = 0;
  // Whether another process has announced a write since the last call: true once per
  // PostgreSQL notification (LISTEN/NOTIFY) or reconnection, so a follower reads at once instead
  // of at its next poll; always false for SQLite, which followers poll. Never blocks or throws.
  virtual bool take_change_notice() { return false; }

  virtual std::vector<IdentitySummary> identities() const = 0;
  std::optional<IdentitySummary> identity(int64_t id) const;
  // The forensic search: an identity's sightings that pass the filter, newest first, without
  // embeddings.
  virtual std::vector<SightingRecord> sightings_of(int64_t identity,
                                                   const SightingFilter& filter) const = 0;
  // A sighting's JPEG crop; nullopt when it has none.
  virtual std::optional<std::string> thumbnail(int64_t sighting) const = 0;
  // The sighting whose crop is the identity's best; nullopt without any.
  virtual std::optional<int64_t> best_thumbnail(int64_t identity) const = 0;
  // hat::Error when there is no such identity or another one has the label ("" : no label).
  virtual void rename_identity(int64_t id, const std::string& label) = 0;
  // Deletes the identity with its sightings and thumbnails; false when there was none. Running
  // pipelines keep it in memory until they restart, and their new sightings of it are dropped.
  virtual bool delete_identity(int64_t id) = 0;
  virtual std::vector<IdentityRecord> identity_records() const = 0;
  // Every sighting in id order, embeddings decoded when `with_embeddings`.
  virtual void for_each_sighting(const std::function<void(const SightingRecord&)>& visit,
                                 bool with_embeddings) const = 0;
  virtual int64_t sighting_count() const = 0;

  struct PurgeResult {
    int64_t sightings = 0, identities = 0;
  };
  // Deletes the sightings older than `time_us` (never enrolled ones) and the unlabelled
  // identities left without any sighting.
  virtual PurgeResult purge_before(int64_t time_us) = 0;

  // "ok" for a sound gallery, otherwise what is wrong (SQLite's integrity check; PostgreSQL:
  // sightings and thumbnails whose identity or sighting is missing).
  virtual std::string integrity_check() const = 0;

 protected:
  GalleryStore() = default;
};

// Whether `location` names a PostgreSQL database (postgresql:// or postgres://) rather than a file.
bool is_postgres_location(const std::string& location);

// Opens the gallery at `location`: a postgresql:// URI or a file path. hat::Error as the
// implementations say (gallery/sqlite_gallery_store.h, gallery/postgres_gallery_store.h).
std::unique_ptr<GalleryStore> open_gallery(const std::string& location,
                                           const GalleryOpenOptions& options = {});

}  // namespace hat
