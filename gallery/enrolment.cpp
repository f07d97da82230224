#include "gallery/enrolment.h"

#include "base/error.h"

namespace hat {

EnrolmentResult enrol(GalleryStore& store, const EmbeddingSpace& space, const std::string& label,
                      const std::vector<EnrolmentImage>& images, int64_t time_us) {
  if (label.empty()) throw Error("enrolment: the name must not be empty");
  if (images.empty()) throw Error("enrolment of '" + label + "': no images");
  store.require_space(space);
  EnrolmentResult result;
  const auto existing = store.identity_by_label(label);
  result.created = !existing;
  result.identity = existing ? *existing : store.create_identity(label, time_us);
  std::vector<SightingRecord> sightings;
  for (const auto& image : images) {
    SightingRecord s;
    s.identity = result.identity;
    s.camera = "enrolment";
    s.time_us = time_us;
    s.enrolled = true;
    s.embedding = image.embedding;
    s.box = {0, 0, image.width, image.height};
    s.thumbnail_jpeg = image.thumbnail_jpeg;
    s.thumbnail_score = 2.0;  // above any sighting's: an enrolled picture is the person's picture
    sightings.push_back(std::move(s));
  }
  store.add_sightings(sightings);
  result.images = static_cast<int>(sightings.size());
  return result;
}

}  // namespace hat
