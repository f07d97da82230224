#include "gallery/identity_matcher.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "base/error.h"
#include "tracking/linear_assignment.h"

namespace hat {

namespace {
// Pending sightings kept while the gallery cannot be written (about 100 MB of 640-d ones).
constexpr size_t kMaxPending = 40000;
constexpr auto kPurgeEvery = std::chrono::seconds(60);

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t random_session() {
  std::random_device device;
  const uint64_t s = (static_cast<uint64_t>(device()) << 32) ^ device();
  return (s & 0x7fffffffffffffffULL) | 1;  // positive as SQLite's int64, and never 0
}

void normalise(std::vector<float>& v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  if (norm > 0)
    for (float& x : v) x = static_cast<float>(x / norm);
}
}  // namespace

uint64_t sighting_owner(uint64_t session, const std::string& camera, int64_t track) {
  if (session == 0) return 0;           // enrolment
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over the camera name
  for (unsigned char c : camera) h = (h ^ c) * 1099511628211ULL;
  return mix(session ^ mix(h ^ mix(static_cast<uint64_t>(track)))) | 1;
}

IdentityMatcher::IdentityMatcher(const MatchPolicy& policy, std::unique_ptr<GalleryStore> store)
    : policy_(policy), store_(std::move(store)), session_(random_session()) {}

IdentityMatcher::~IdentityMatcher() { flush(); }

void IdentityMatcher::set_policy(const MatchPolicy& policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_ = policy;
}

size_t IdentityMatcher::identity_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_ ? index_->identities() : 0;
}

size_t IdentityMatcher::sighting_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_ ? index_->size() : 0;
}

std::string IdentityMatcher::label_of(int64_t identity) const {
  const auto it = labels_.find(identity);
  return it == labels_.end() ? "" : it->second;
}

void IdentityMatcher::ensure_space(const EmbeddingSpace& space) {
  if (space_) {
    if (space_->model != space.model || space_->dim != space.dim)
      throw Error("embeddings of " + space.model + " (" + std::to_string(space.dim) +
                  "-d) cannot be matched against those of " + space_->model + " (" +
                  std::to_string(space_->dim) + "-d): every camera needs the same model");
    return;
  }
  if (store_) store_->require_space(space);
  space_ = space;
  index_ = std::make_unique<SightingIndex>(space.dim);
  std::optional<GalleryWarning> warning;
  sync(true, warning);
  if (warning) throw Error(warning->message);
}

void IdentityMatcher::add_to_index(const SightingRecord& s, uint64_t owner) {
  std::vector<float> e = s.embedding;
  normalise(e);
  index_->add(e.data(), {s.identity, owner, s.time_us, s.enrolled});
}

void IdentityMatcher::sync(bool force, std::optional<GalleryWarning>& warning) {
  if (!store_) return;
  const auto now = std::chrono::steady_clock::now();
  // A notified store (PostgreSQL) is read at once; otherwise other writers are polled.
  if (!force && !store_->take_change_notice() &&
      now - last_sync_ < std::chrono::microseconds(policy_.sync_interval_us))
    return;
  last_sync_ = now;
  try {
    const GalleryChanges changes = store_->changes_since(cursor_, session_);
    for (const auto& identity : changes.identities)
      if (!identity.label.empty()) labels_[identity.id] = identity.label;
    const int64_t oldest =
        policy_.ttl_us > 0 ? latest_time_us_ - policy_.ttl_us : std::numeric_limits<int64_t>::min();
    for (const auto& s : changes.sightings) {
      if (static_cast<int>(s.embedding.size()) != index_->dim()) {
        throw Error("gallery " + store_->location() + ": sighting " + std::to_string(s.id) +
                    " has " + std::to_string(s.embedding.size()) + " values, expected " +
                    std::to_string(index_->dim()));
      }
      if (!s.enrolled && latest_time_us_ != 0 && s.time_us < oldest) continue;
      add_to_index(s, sighting_owner(s.session, s.camera, s.track));
    }
    for (const auto& [from, into] : changes.merges) {
      index_->relabel(from, into);
      for (auto& [camera, tracks] : cameras_)
        for (auto& [id, t] : tracks)
          if (t.identity == from) t.identity = into;
    }
  } catch (const Error& e) {
    warning = GalleryWarning{e.what()};
  }
}

std::optional<int64_t> IdentityMatcher::new_identity(int64_t time_us,
                                                     std::optional<GalleryWarning>& warning) {
  if (!store_) return next_memory_identity_++;
  try {
    return store_->create_identity("", time_us);
  } catch (const Error& e) {
    warning = GalleryWarning{e.what()};
    return std::nullopt;
  }
}

std::optional<GalleryWarning> IdentityMatcher::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  return flush_locked();
}

std::optional<GalleryWarning> IdentityMatcher::flush_locked() {
  if (!store_ || pending_.empty()) return std::nullopt;
  try {
    store_->add_sightings(pending_, policy_.thumbnails_per_identity);
    pending_.clear();
    return std::nullopt;
  } catch (const Error& e) {
    std::string warning = e.what();
    if (pending_.size() > kMaxPending) {
      const size_t dropped = pending_.size() - kMaxPending;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(dropped));
      warning += "; " + std::to_string(dropped) + " unsaved sightings dropped";
    }
    return GalleryWarning{warning + " (" + std::to_string(pending_.size()) +
                          " sightings kept for a retry)"};
  }
}

std::optional<GalleryWarning> IdentityMatcher::end_camera(const std::string& camera) {
  std::lock_guard<std::mutex> lock(mutex_);
  cameras_.erase(camera);
  return flush_locked();
}

FrameIdentities IdentityMatcher::process_frame(const std::string& camera, int64_t time_us,
                                               const EmbeddingSpace& space,
                                               const std::vector<TrackObservation>& observations) {
  std::lock_guard<std::mutex> lock(mutex_);
  FrameIdentities result;
  latest_time_us_ = std::max(latest_time_us_, time_us);
  bool any_embedding = false;
  for (const auto& o : observations) any_embedding = any_embedding || !o.embedding.empty();
  if (any_embedding) ensure_space(space);
  if (index_) sync(false, result.warning);

  auto& tracks = cameras_[camera];
  for (const auto& o : observations) {
    auto [it, added] = tracks.try_emplace(o.track);
    TrackState& t = it->second;
    if (added) t.owner = sighting_owner(session_, camera, o.track);
    t.last_seen_us = time_us;
    t.box = o.box;
    t.confidence = o.confidence;
    t.thumbnail = o.thumbnail;
    if (o.embedding.empty()) continue;
    if (static_cast<int>(o.embedding.size()) != index_->dim())
      throw Error("camera " + camera + " track " + std::to_string(o.track) + ": a " +
                  std::to_string(o.embedding.size()) + "-d embedding where " +
                  std::to_string(index_->dim()) + "-d ones are expected");
    std::vector<float> e = o.embedding;
    normalise(e);
    const auto window = static_cast<size_t>(std::max(policy_.track_window, 1));
    if (t.recent.size() < window) {
      t.recent.push_back(std::move(e));
    } else {
      t.recent[t.next % window] = std::move(e);
    }
    t.next = (t.next + 1) % window;
    t.query.assign(static_cast<size_t>(index_->dim()), 0.0f);
    for (const auto& r : t.recent)
      for (size_t d = 0; d < r.size(); ++d) t.query[d] += r[d];
    normalise(t.query);
    ++t.embeddings;
    t.dirty = t.embeddings >= policy_.min_embeddings;
  }
  for (auto it = tracks.begin(); it != tracks.end();) {
    if (time_us - it->second.last_seen_us > policy_.track_timeout_us) {
      it = tracks.erase(it);
    } else {
      ++it;
    }
  }
  if (index_) assign(camera, tracks, time_us, result);
  // The encoders point into this frame's pixels.
  for (auto& [id, t] : tracks) t.thumbnail = nullptr;

  for (const auto& o : observations) {
    const auto it = tracks.find(o.track);
    if (it == tracks.end() || it->second.identity == 0) continue;
    result.tracks.push_back(
        {o.track, it->second.identity, it->second.distance, label_of(it->second.identity)});
  }
  if (index_) {
    const int64_t oldest =
        policy_.ttl_us > 0 ? time_us - policy_.ttl_us : std::numeric_limits<int64_t>::min();
    index_->evict(policy_.max_gallery_size, oldest);
    if (store_ && policy_.ttl_us > 0 &&
        std::chrono::steady_clock::now() - last_purge_ > kPurgeEvery) {
      last_purge_ = std::chrono::steady_clock::now();
      try {
        store_->purge_before(oldest);
      } catch (const Error& e) {
        result.warning = GalleryWarning{e.what()};
      }
    }
  }
  if (auto w = flush_locked()) result.warning = std::move(w);
  return result;
}

void IdentityMatcher::assign(const std::string& camera, std::map<int, TrackState>& tracks,
                             int64_t time_us, FrameIdentities& result) {
  std::vector<int> dirty;
  std::unordered_map<int64_t, int> holder;  // identity -> the live track of this camera with it
  for (const auto& [id, t] : tracks) {
    if (t.dirty) dirty.push_back(id);
    if (t.identity != 0) holder[t.identity] = id;
  }
  if (dirty.empty()) return;
  std::vector<float> queries;
  std::vector<uint64_t> owners;
  for (int id : dirty) {
    const auto& t = tracks[id];
    queries.insert(queries.end(), t.query.begin(), t.query.end());
    owners.push_back(t.owner);
  }
  const int64_t min_time = policy_.time_window_us > 0 ? time_us - policy_.time_window_us
                                                      : std::numeric_limits<int64_t>::min();
  const auto candidates = index_->nearest_identities(queries.data(), static_cast<int>(dirty.size()),
                                                     owners, min_time, policy_.candidates);

  // Columns: the candidates and the tracks' own identities, minus those of this camera's
  // tracks that are not being matched now.
  const bool constrained = policy_.same_camera_constraint;
  std::vector<int64_t> columns;
  std::unordered_map<int64_t, size_t> column_of;
  auto add_column = [&](int64_t identity) {
    if (identity == 0 || column_of.count(identity)) return;
    const auto h = holder.find(identity);
    if (constrained && h != holder.end() && !tracks[h->second].dirty) return;
    column_of[identity] = columns.size();
    columns.push_back(identity);
  };
  for (size_t i = 0; i < dirty.size(); ++i) {
    add_column(tracks[dirty[i]].identity);
    for (const auto& c : candidates[i]) add_column(c.identity);
  }
  const double threshold = policy_.threshold;
  constexpr double kForbidden = 4.0;  // above any cosine distance
  std::vector<std::vector<double>> cost(dirty.size(),
                                        std::vector<double>(columns.size(), kForbidden));
  std::vector<std::unordered_map<int64_t, double>> distance(dirty.size());
  for (size_t i = 0; i < dirty.size(); ++i) {
    for (const auto& c : candidates[i]) {
      distance[i][c.identity] = c.distance;
      const auto col = column_of.find(c.identity);
      if (col == column_of.end()) continue;
      // One person is not in two places of one camera at once: another track of this camera
      // holding the identity rules it out, so two tracks seen together never swap identities.
      const auto h = holder.find(c.identity);
      if (constrained && h != holder.end() && h->second != dirty[i]) continue;
      cost[i][col->second] = c.distance;
    }
    // Keeping the current identity always passes the bar, and wins unless another identity is
    // closer by the hysteresis margin. An identity only this track supports has no distance of
    // its own: while the track is young it yields to a match (its first crops were misleading
    // and it is merged away), later it is kept.
    const TrackState& t = tracks[dirty[i]];
    if (const auto col = column_of.find(t.identity); col != column_of.end()) {
      const auto d = distance[i].find(t.identity);
      double kept = d == distance[i].end() ? threshold : std::min(d->second, threshold);
      if (d == distance[i].end() && !index_->seen_by_others(t.identity, t.owner) &&
          t.embeddings >= 2 * std::max(policy_.track_window, policy_.min_embeddings))
        kept = 0.0;
      cost[i][col->second] = kept - policy_.hysteresis - 1e-6;
    }
  }
  std::vector<int64_t> chosen(dirty.size(), 0);
  if (constrained) {
    for (const auto& [row, col] : tracking::solve_assignment(cost, threshold))
      chosen[static_cast<size_t>(row)] = columns[static_cast<size_t>(col)];
  } else {
    for (size_t i = 0; i < dirty.size(); ++i) {
      const auto best = std::min_element(cost[i].begin(), cost[i].end());
      if (best != cost[i].end() && *best < threshold)
        chosen[i] = columns[static_cast<size_t>(best - cost[i].begin())];
    }
  }

  for (size_t i = 0; i < dirty.size(); ++i) {
    TrackState& t = tracks[dirty[i]];
    const int64_t previous = t.identity;
    IdentityEvent event;
    event.camera = camera;
    event.track = dirty[i];
    event.time_us = time_us;
    event.box = t.box;
    event.previous_id = previous;
    if (chosen[i] != 0) {
      const auto d = distance[i].find(chosen[i]);
      t.distance = d == distance[i].end() ? t.distance : d->second;
      if (chosen[i] != previous) {
        event.kind = previous == 0 ? "matched" : "switched";
        // An identity that only this track ever supported was a mistake of its first frames:
        // its sightings join the identity the track really is.
        if (previous != 0 && label_of(previous).empty() &&
            !index_->seen_by_others(previous, t.owner)) {
          try {
            if (store_) store_->merge_identity(previous, chosen[i], time_us);
            index_->relabel(previous, chosen[i]);
            for (auto& p : pending_)
              if (p.identity == previous) p.identity = chosen[i];
            event.merged = true;
          } catch (const Error& e) {
            result.warning = GalleryWarning{e.what()};
          }
        }
        t.identity = chosen[i];
      }
    } else {
      const auto id = new_identity(time_us, result.warning);
      if (!id) continue;  // the gallery could not be written: try again on the next embedding
      t.identity = *id;
      t.distance = 0;
      event.kind = previous == 0 ? "new" : "switched";
    }
    t.dirty = false;
    const bool changed = t.identity != previous;
    if (changed) {
      event.global_id = t.identity;
      event.distance = t.distance;
      event.label = label_of(t.identity);
      for (const auto& c : candidates[i])
        event.candidates.push_back({c.identity, c.distance, label_of(c.identity)});
      std::sort(
          event.candidates.begin(), event.candidates.end(),
          [](const MatchCandidate& a, const MatchCandidate& b) { return a.distance < b.distance; });
      result.events.push_back(event);
    }
    if (changed || !t.has_sighting ||
        time_us - t.last_sighting_us >= policy_.sighting_interval_us) {
      SightingRecord s;
      s.identity = t.identity;
      s.session = session_;
      s.camera = camera;
      s.track = dirty[i];
      s.time_us = time_us;
      s.box = t.box;
      s.embedding = t.query;
      if (t.thumbnail && store_ && policy_.thumbnails_per_identity > 0) {
        s.thumbnail_jpeg = t.thumbnail();
        // Confident, large crops make the best picture of a person.
        s.thumbnail_score = t.confidence * std::min(1.0, t.box.height / 128.0);
      }
      index_->add(t.query.data(), {t.identity, t.owner, time_us, false});
      if (store_) pending_.push_back(std::move(s));
      t.last_sighting_us = time_us;
      t.has_sighting = true;
    }
  }
}

}  // namespace hat
