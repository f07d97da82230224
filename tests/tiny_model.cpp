#include "tests/tiny_model.h"

#include <mutex>

#include "model/checkpoint.h"
#include "model/hat_model.h"
#include "model/state_dict.h"
#include "tests/test_env.h"

namespace hat::test {

std::string tiny_model_path() {
  static std::string path;
  static std::once_flag once;
  std::call_once(once, [] {
    torch::manual_seed(0);
    HatConfig c = preset("tiny");
    c.num_classes = 10;
    HatModel model(c);
    Checkpoint ckpt;
    ckpt.config = c;
    ckpt.preprocess = PreprocessConfig::for_model(c);
    ckpt.provenance = {{"dataset", "none (random weights, for tests)"}};
    ckpt.state = module_state(*model);
    path = scratch_dir() + "/tiny.hat";
    save_checkpoint(path, ckpt);
  });
  return path;
}

}  // namespace hat::test
