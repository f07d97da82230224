#include "inference/engine_options_cli.h"

namespace hat {

void add_engine_options(ArgParser& p, const std::string& default_batch) {
  p.option("batch", "N", "crops per forward pass", default_batch)
      .option("device", "D", "cpu, cuda or cuda:N", "cpu")
      .option("threads", "T", "intra-op CPU threads (0: LibTorch default)", "0")
      .option("precision", "P",
              "fp32, or bf16/fp16 autocast (convolutions and matrix products in half "
              "precision; fp16 is for GPUs, slow on most CPUs)",
              "fp32")
      .flag("channels-last", "NHWC convolutions (the tensor cores' native layout)")
      .flag("cuda-graphs", "replay forward passes from CUDA graphs per batch size (CUDA)");
}

EngineOptions engine_options(const ArgParser& p) {
  EngineOptions eo;
  eo.device = p.get("device");
  eo.batch_size = p.get_int("batch", 1, 65536);
  eo.threads = p.get_int("threads", 0, 1024);
  eo.precision = p.get("precision");
  eo.channels_last = p.flag_set("channels-last");
  eo.cuda_graphs = p.flag_set("cuda-graphs");
  return eo;
}

}  // namespace hat
