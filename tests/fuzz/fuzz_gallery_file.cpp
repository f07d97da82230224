// The gallery file opener (gallery/sqlite_gallery_store.h) on random bytes where an SQLite file
// should be, then every read the tools and hatmatch make of an opened gallery.
#include <cstdio>
#include <string>

#include "base/error.h"
#include "gallery/gallery_store.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hat::fuzz::write_input("gallery.db", data, size);
  for (const char* side : {"-wal", "-shm", "-journal"}) std::remove((path + side).c_str());
  try {
    hat::GalleryOpenOptions options;
    options.create = false;
    options.busy_timeout_ms = 0;
    auto store = hat::open_gallery(path, options);
    store->space();
    store->sighting_count();
    for (const auto& s : store->identities()) {
      store->sightings_of(s.identity.id, {});
      if (auto best = store->best_thumbnail(s.identity.id)) store->thumbnail(*best);
    }
    store->identity_records();
    store->for_each_sighting([](const hat::SightingRecord&) {}, true);
    hat::GalleryCursor cursor;
    store->changes_since(cursor, 0);
    store->integrity_check();
  } catch (const hat::Error&) {
  }
  return 0;
}
