// The engine options (--batch, --device, --threads, --precision, --channels-last, --cuda-graphs)
// that every tool running the embedding engine takes, declared and read in one place.
#pragma once

#include <string>

#include "model/cli_args.h"
#include "model/embedding_engine.h"

namespace hat {

void add_engine_options(ArgParser& parser, const std::string& default_batch);
EngineOptions engine_options(const ArgParser& parser);

}  // namespace hat
