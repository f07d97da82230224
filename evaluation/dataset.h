// Re-ID datasets as the evaluator and the trainer see them: train / query / gallery image lists
// with identity and camera, read from the public releases' folder layouts.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace hat {

struct ImageRecord {
  std::string path;
  int pid = 0;     // identity; 0 marks a distractor in Market-style galleries
  int camid = -1;  // 0-based camera; -1 when unknown (never treated as "the same camera")
};

struct ReidDataset {
  std::string name;
  std::string root;
  std::vector<ImageRecord> train, query, gallery;
  // Pairs of training pids known to be different people that look alike (co-occurring
  // tracklets of a site, hat-train adapt): the trainer batches them side by side as hard
  // negatives. Empty for the public releases.
  std::vector<std::pair<int, int>> hard_negatives;

  int num_train_ids() const;
};

// The official release's sizes, for the reader's warning when a copy differs.
struct OfficialCounts {
  int train_ids = 0, train_images = 0, query_images = 0, gallery_images = 0;
};

// Prints "name: train N ids / N images, query N, gallery N" and a warning per figure that differs
// from the official release.
void report_counts(const ReidDataset& dataset, const std::optional<OfficialCounts>& official,
                   std::ostream& log);

// Identity and camera from a Market-style name ("0002_c1s1_000451_03.jpg", "0001_c2_f0046182.jpg",
// "0001_c1_1.png"): std::nullopt when the name does not follow that pattern.
struct NameLabels {
  int pid;
  int camid;
};
std::optional<NameLabels> parse_market_name(const std::string& file_name);

// Image files (jpg, jpeg, png, bmp) directly in `dir`, sorted by name; non-image files are
// counted in `ignored`. hat::Error when the folder is missing.
std::vector<std::string> list_images(const std::string& dir, int* ignored = nullptr);

// A folder of Market-style files. Junk (pid -1) is dropped; malformed names are skipped with a
// warning. hat::Error when the folder is missing or holds no usable image.
std::vector<ImageRecord> read_market_style_folder(const std::string& dir, std::ostream& log);

// The three folders of a Market-style release (bounding_box_train, query, bounding_box_test) in
// `dir`, with the counts reported against `official`. bounding_box_train may be absent (a site's
// labeled test crops): `train` is then empty, with a note in `log`; query and bounding_box_test
// are required.
ReidDataset read_market_layout(const std::string& dir, const std::string& name,
                               const OfficialCounts& official, std::ostream& log);

// `root/sub` if it exists, else `root` when it holds `marker`, else hat::Error explaining the
// expected layout.
std::string locate_release(const std::string& root, const std::string& sub,
                           const std::string& marker, const std::string& layout);

}  // namespace hat
