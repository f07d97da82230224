#include "model/engine_options_cli.h"

namespace hat {

void add_engine_options(ArgParser& p, const std::string& default_batch) {
  p.option("batch", "N", "crops per forward pass", default_batch)
      .option("device", "D", "cpu, cuda or cuda:N", "cpu")
      .option("threads", "T", "intra-op CPU threads (0: LibTorch default)", "0");
}

EngineOptions engine_options(const ArgParser& p) {
  EngineOptions eo;
  eo.device = p.get("device");
  eo.batch_size = p.get_int("batch", 1, 65536);
  eo.threads = p.get_int("threads", 0, 1024);
  return eo;
}

}  // namespace hat
