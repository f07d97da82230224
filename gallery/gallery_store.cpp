#include "gallery/gallery_store.h"

#include "base/error.h"
#include "gallery/postgres_gallery_store.h"
#include "gallery/sqlite_gallery_store.h"

namespace hat {

bool GalleryStore::check_space(const EmbeddingSpace& space) const {
  const auto held = this->space();
  if (!held) return false;
  if (held->model != space.model || held->dim != space.dim)
    throw Error("gallery " + location() + " holds " + std::to_string(held->dim) +
                "-d embeddings of " + held->model + ", not " + std::to_string(space.dim) +
                "-d embeddings of " + space.model +
                ": use the model it was made with, or another gallery");
  return true;
}

std::optional<IdentitySummary> GalleryStore::identity(int64_t id) const {
  for (auto& s : identities())
    if (s.identity.id == id) return std::move(s);
  return std::nullopt;
}

bool is_postgres_location(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<GalleryStore> open_gallery(const std::string& location,
                                           const GalleryOpenOptions& options) {
  if (is_postgres_location(location))
    return std::make_unique<PostgresGalleryStore>(location, options);
  return std::make_unique<SqliteGalleryStore>(location, options);
}

}  // namespace hat
