#include "model/reference_import.h"

#include <regex>
#include <utility>
#include <vector>

#include "base/error.h"

namespace hat {

namespace {

struct Rule {
  std::regex pattern;
  std::string replacement;  // empty: drop the entry
};

// Ordered: the first matching rule wins.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = [] {
    const std::vector<std::pair<const char*, const char*>> spec = {
        {R"(^base\.(.*)$)", "backbone.$1"},
        {R"(^non_linear([123])\.(.*)$)", "aggregation.refine$1.$2"},
        {R"(^HAT\.TFC_S([123])\.transformer\.Non\d+\..*$)", ""},  // registered, never called
        {R"(^HAT\.TFC_S3\.NeA\..*$)", ""},                        // computed, then discarded
        {R"(^HAT\.TFC_S([123])\.NeA\.(.*)$)", "aggregation.tfc$1.nea.$2"},
        {R"(^HAT\.TFC_S([123])\.cls_token$)", "aggregation.tfc$1.cls_token"},
        {R"(^HAT\.TFC_S([123])\.pos_embedding$)", "aggregation.tfc$1.pos_embedding"},
        {R"(^HAT\.TFC_S([123])\.patch_to_embedding\.(weight|bias)$)", "aggregation.tfc$1.embed.$2"},
        {R"(^HAT\.TFC_S([123])\.transformer\.layers\.(\d+)\.0\.fn\.norm\.(weight|bias)$)",
         "aggregation.tfc$1.blocks.$2.attn_norm.$3"},
        {R"(^HAT\.TFC_S([123])\.transformer\.layers\.(\d+)\.0\.fn\.fn\.to_qkv\.weight$)",
         "aggregation.tfc$1.blocks.$2.attn.qkv.weight"},
        {R"(^HAT\.TFC_S([123])\.transformer\.layers\.(\d+)\.0\.fn\.fn\.to_out\.0\.(weight|bias)$)",
         "aggregation.tfc$1.blocks.$2.attn.proj.$3"},
        {R"(^HAT\.TFC_S([123])\.transformer\.layers\.(\d+)\.1\.fn\.norm\.(weight|bias)$)",
         "aggregation.tfc$1.blocks.$2.ff_norm.$3"},
        {R"(^HAT\.TFC_S([123])\.transformer\.layers\.(\d+)\.1\.fn\.fn\.net\.0\.(weight|bias)$)",
         "aggregation.tfc$1.blocks.$2.ff.fc1.$3"},
        {R"(^HAT\.TFC_S([123])\.transformer\.layers\.(\d+)\.1\.fn\.fn\.net\.3\.(weight|bias)$)",
         "aggregation.tfc$1.blocks.$2.ff.fc2.$3"},
        {R"(^bottleneck_b\.(.*)$)", "heads.global.bn.$1"},
        {R"(^bottleneck_t([123])\.(.*)$)", "heads.level$1.bn.$2"},
        {R"(^classifier_(b|t[123])\.weight$)", ""},  // depends on the training set
    };
    std::vector<Rule> out;
    for (const auto& [pattern, replacement] : spec)
      out.push_back({std::regex(pattern), replacement});
    return out;
  }();
  return table;
}

}  // namespace

bool is_reference_state(const StateDict& state) {
  return state.contains("base.conv1.weight") && state.contains("HAT.TFC_S1.cls_token");
}

std::optional<std::string> map_reference_key(const std::string& key, const std::string& source) {
  for (const auto& rule : rules()) {
    if (!std::regex_match(key, rule.pattern)) continue;
    if (rule.replacement.empty()) return std::nullopt;
    return std::regex_replace(key, rule.pattern, rule.replacement);
  }
  throw Error(source + ": unexpected key '" + key + "' (not part of the HAT reference model)");
}

StateDict import_reference_state(const StateDict& reference, const std::string& source) {
  StateDict state;
  for (const auto& item : reference) {
    if (auto name = map_reference_key(item.key(), source)) state.insert(*name, item.value());
  }
  return state;
}

HatConfig reference_config() {
  HatConfig c = preset("hat-r50");
  c.num_classes = 0;
  return c;
}

}  // namespace hat
