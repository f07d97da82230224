// Cross-camera identities: each camera's tracks (from hattrack, with embeddings from hatembed)
// are aggregated, matched against the gallery and given a global identity that holds across
// cameras and over time. GStreamer-free: hatmatch feeds it frames from every camera's streaming
// thread, so every call is serialised by its own lock.
//
// Per track, the mean of its last `track_window` embeddings (L2-normalised) is the query. An
// identity's distance is the cosine distance to the nearest of its sightings that the track did
// not make itself, within the time window. Tracks are assigned to identities by minimum cost
// (the Hungarian method) so that, with the same-camera constraint, two tracks of one camera never
// share an identity. Hysteresis: a track keeps its identity unless another one is closer by
// `hysteresis`; an identity only that track supported is then merged into the new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gallery/gallery_store.h"
#include "gallery/sighting_index.h"

namespace hat {

struct MatchPolicy {
  double threshold = 0.35;     // cosine distance below which a track matches an identity
  double hysteresis = 0.05;    // margin another identity must win by to take a track over
  int track_window = 10;       // recent embeddings averaged per track
  int min_embeddings = 1;      // embeddings a track needs before it is matched
  int64_t time_window_us = 0;  // only sightings this recent match (0: all)
  bool same_camera_constraint = true;
  size_t max_gallery_size = 100000;        // sightings kept in memory for matching
  int64_t ttl_us = 0;                      // sightings older than this are forgotten (0: kept)
  int64_t sighting_interval_us = 1000000;  // a track adds a sighting at most this often
  int64_t track_timeout_us = 2000000;      // a track not seen this long has left
  int64_t sync_interval_us = 500000;       // how often other processes' writes are read (wall
                                           // time; at once when the store is notified of one)
  int candidates = 5;                      // identities considered per track
  int thumbnails_per_identity = 8;         // JPEG crops kept per identity in the gallery (0: none)
};

struct TrackObservation {
  int track = 0;
  Box box;
  std::vector<float> embedding;  // empty unless computed on this frame
  double confidence = 0;         // the detection's, 0..1
  // Encodes this frame's crop of the track as a JPEG; called (during process_frame only) when a
  // sighting with a thumbnail is recorded. Empty: no thumbnails.
  std::function<std::string()> thumbnail;
};

struct TrackIdentity {
  int track = 0;
  int64_t global_id = 0;
  double distance = 0;
  std::string label;
};

// An identity the matcher weighed for a track, with its distance.
struct MatchCandidate {
  int64_t identity = 0;
  double distance = 0;
  std::string label;
};

struct IdentityEvent {
  std::string kind;  // "new", "matched" (first identity, existing) or "switched"
  std::string camera;
  int track = 0;
  int64_t global_id = 0;
  double distance = 0;
  std::string label;
  int64_t time_us = 0;
  Box box;
  int64_t previous_id = 0;  // "switched": the identity the track had
  bool merged = false;      // "switched": previous_id was only this track's and is merged away
  std::vector<MatchCandidate> candidates;  // the nearest identities, nearest first (up to
                                           // MatchPolicy::candidates)
};

// A gallery operation that failed and will be retried: matching goes on from memory, the
// sightings not yet written are kept (up to a bound) and written once the file can be written
// again. The caller reports it (hatmatch: an element warning, once per distinct message).
struct GalleryWarning {
  std::string message;  // one line naming the file and what failed
  bool operator==(const GalleryWarning& other) const { return message == other.message; }
};

struct FrameIdentities {
  std::vector<TrackIdentity> tracks;  // observed tracks that have an identity
  std::vector<IdentityEvent> events;
  std::optional<GalleryWarning> warning;  // none when every gallery operation succeeded
};

// The owner key of a track's sightings: which process run, camera and track made them.
uint64_t sighting_owner(uint64_t session, const std::string& camera, int64_t track);

class IdentityMatcher {
 public:
  // Without `store` the gallery lives in memory only.
  IdentityMatcher(const MatchPolicy& policy, std::unique_ptr<GalleryStore> store);
  ~IdentityMatcher();

  void set_policy(const MatchPolicy& policy);

  // One camera's frame at `time_us` (Unix microseconds). hat::Error when the embeddings do not
  // belong to the gallery's embedding space.
  FrameIdentities process_frame(const std::string& camera, int64_t time_us,
                                const EmbeddingSpace& space,
                                const std::vector<TrackObservation>& observations);
  // The camera's stream ended: its tracks leave, pending sightings are written; a warning when
  // they could not be.
  std::optional<GalleryWarning> end_camera(const std::string& camera);
  // Writes pending sightings; a warning when they could not be.
  std::optional<GalleryWarning> flush();

  size_t identity_count() const;
  size_t sighting_count() const;
  uint64_t session() const { return session_; }
  // The store's location (a URI without its password), or "in memory".
  std::string gallery_location() const { return store_ ? store_->location() : "in memory"; }

 private:
  struct TrackState {
    std::vector<std::vector<float>> recent;  // ring of the last track_window embeddings
    size_t next = 0;
    std::vector<float> query;  // normalised mean of `recent`
    int embeddings = 0;        // computed for this track so far
    bool dirty = false;        // has embeddings not matched yet
    int64_t identity = 0;
    double distance = 0;
    int64_t last_seen_us = 0;
    int64_t last_sighting_us = 0;
    bool has_sighting = false;
    Box box;
    uint64_t owner = 0;
    double confidence = 0;
    std::function<std::string()> thumbnail;  // this frame's, reset every frame
  };

  void ensure_space(const EmbeddingSpace& space);
  void sync(bool force, std::optional<GalleryWarning>& warning);
  void add_to_index(const SightingRecord& s, uint64_t owner);
  std::optional<int64_t> new_identity(int64_t time_us, std::optional<GalleryWarning>& warning);
  void assign(const std::string& camera, std::map<int, TrackState>& tracks, int64_t time_us,
              FrameIdentities& result);
  std::string label_of(int64_t identity) const;
  std::optional<GalleryWarning> flush_locked();

  mutable std::mutex mutex_;
  MatchPolicy policy_;
  std::unique_ptr<GalleryStore> store_;
  uint64_t session_;
  std::optional<EmbeddingSpace> space_;
  std::unique_ptr<SightingIndex> index_;
  std::map<std::string, std::map<int, TrackState>> cameras_;
  std::unordered_map<int64_t, std::string> labels_;
  std::vector<SightingRecord> pending_;
  GalleryCursor cursor_;
  int64_t next_memory_identity_ = 1;
  int64_t latest_time_us_ = 0;
  std::chrono::steady_clock::time_point last_sync_{}, last_purge_{};
};

}  // namespace hat
