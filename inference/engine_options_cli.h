// The engine options (--batch, --device, --threads, --precision, --channels-last, --cuda-graphs)
// that every tool running the embedding engine takes, declared and read in one place.
#pragma once

#include <string>

#include "base/arg_parser.h"
#include "inference/engine_options.h"

namespace hat {

void add_engine_options(ArgParser& parser, const std::string& default_batch);
EngineOptions engine_options(const ArgParser& parser);

}  // namespace hat
