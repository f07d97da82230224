#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/file_io.h"
#include "base/version.h"
#include "evaluation/evaluator.h"
#include "evaluation/feature_extractor.h"
#include "evaluation/labels_io.h"
#include "evaluation/line_plot.h"
#include "evaluation/progress_bar.h"
#include "evaluation/readers.h"
#include "evaluation/report.h"
#include "inference/autocast_scope.h"
#include "inference/channels_last.h"
#include "inference/embedding_engine.h"
#include "model/checkpoint.h"
#include "model/model_loader.h"
#include "model/pretrained_import.h"
#include "train/lr_schedule.h"

namespace hat {

namespace {

using Clock = std::chrono::steady_clock;

torch::Tensor bytes_tensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_bytes(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

void make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw Error(dir + ": cannot create the run folder");
}

}  // namespace

nlohmann::json to_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},          {"lr", r.lr},
          {"seconds", r.seconds},      {"images_per_second", r.images_per_second},
          {"loss", r.total},           {"identity_loss", r.identity},
          {"triplet_loss", r.triplet}, {"skipped_images", r.skipped},
          {"metrics", r.metrics}};
}

EpochRecord epoch_record_from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch");
  r.lr = j.at("lr");
  r.seconds = j.at("seconds");
  r.images_per_second = j.at("images_per_second");
  r.total = j.at("loss");
  r.identity = j.at("identity_loss").get<std::array<double, 4>>();
  r.triplet = j.at("triplet_loss").get<std::array<double, 4>>();
  r.skipped = j.at("skipped_images");
  r.metrics = j.at("metrics");
  return r;
}

Trainer::Trainer(TrainConfig config, std::ostream& log, ProcessGroup* group)
    : config_(std::move(config)), log_(log), group_(group), device_(parse_device(config_.device)) {
  ReaderOptions reader;
  reader.msmt17_train_only = config_.msmt17_train_only;
  data_ = read_dataset(config_.dataset, config_.root, reader, log_);
  build();
}

Trainer::Trainer(TrainConfig config, ReidDataset data, std::ostream& log, ProcessGroup* group)
    : config_(std::move(config)),
      log_(log),
      group_(group),
      data_(std::move(data)),
      device_(parse_device(config_.device)) {
  build();
}

void Trainer::build() {
  if (config_.output.empty()) throw Error("no run folder given (--output)");
  if (config_.threads > 0) torch::set_num_threads(config_.threads);
  if (data_.train.empty())
    throw Error(config_.root + ": no training images (" + config_.dataset +
                " needs bounding_box_train/ or train/ to train; hat-eval run evaluates it)");

  torch::manual_seed(config_.seed);
  HatConfig model_config = preset(config_.preset);
  const PreprocessConfig preprocess = PreprocessConfig::for_model(model_config);
  LoaderOptions lo;
  lo.p = config_.p;
  lo.k = config_.k;
  lo.threads = config_.loader_threads;
  lo.seed = config_.seed;
  lo.augment = config_.augment;
  lo.augmentation = config_.augmentation;
  lo.hard_negatives = data_.hard_negatives;
  const int world = group_ ? group_->world_size() : 1;
  lo.slices = world * config_.grad_accumulation;
  lo.slice_count = config_.grad_accumulation;
  lo.first_slice = (group_ ? group_->rank() : 0) * config_.grad_accumulation;
  loader_ = std::make_unique<TrainLoader>(data_.train, preprocess, lo, log_);
  model_config.num_classes = loader_->num_classes();
  model_ = HatModel(model_config);
  if (!config_.pretrained.empty())
    import_pretrained_backbone(*model_, read_state_dict_file(config_.pretrained),
                               config_.pretrained);
  if (!config_.init.empty()) initialise_from(config_.init);
  model_->to(device_);
  if (device_.is_cuda()) {
    convert_to_channels_last(*model_);
    autocast_ = config_.amp != "off";
    autocast_dtype_ = config_.amp == "fp16" ? torch::kHalf : torch::kBFloat16;
  }
  optimizer_options_ = {config_.lr, config_.weight_decay, config_.transformer_lr_factor};
  optimizer_ = make_optimizer(*model_, optimizer_options_);
  // Every process starts from rank 0's weights, whatever its initialisation did.
  if (group_) group_->broadcast(model_->parameters(), 0, "sharing the initial weights");
}

void Trainer::initialise_from(const std::string& path) {
  LoadOptions options;
  options.expect_preset = config_.preset;
  const LoadedModel init = load_model(path, options);
  const StateDict source = module_state(*init.model);
  torch::NoGradGuard no_grad;
  int copied = 0, fresh = 0;
  StateDict target = module_state(*model_);
  for (auto& entry : target) {
    const std::string& key = entry.key();
    const torch::Tensor* from = source.find(key);
    const bool classifier = key.find("classifier") != std::string::npos;
    if (from && from->sizes() == entry.value().sizes()) {
      entry.value().copy_(*from);
      ++copied;
    } else if (classifier) {
      ++fresh;  // another number of identities: this classifier starts fresh
    } else {
      throw Error(path + ": '" + key + "' " +
                  (from ? "has shape " + shape_string(from->sizes()) + ", the model needs " +
                              shape_string(entry.value().sizes())
                        : "is missing"));
    }
  }
  log_ << "initialised from " << path << " (" << copied << " tensors"
       << (fresh ? ", " + std::to_string(fresh) + " classifier tensors fresh" : "") << ")\n";
}

Trainer::~Trainer() = default;

EpochRecord Trainer::train_epoch(int epoch) {
  LrSchedule schedule;
  schedule.base_lr = config_.lr;
  schedule.warmup_epochs = config_.warmup_epochs;
  schedule.warmup_factor = config_.warmup_factor;
  schedule.gamma = config_.gamma;
  schedule.milestones =
      LrSchedule::every(config_.first_milestone, config_.milestone_step, config_.epochs);
  EpochRecord r;
  r.epoch = epoch + 1;
  r.lr = schedule.lr_at(epoch);
  set_learning_rate(*optimizer_, r.lr, optimizer_options_);
  model_->train();
  int batches = loader_->batches_per_epoch();
  if (config_.max_batches_per_epoch > 0) batches = std::min(batches, config_.max_batches_per_epoch);
  ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config_.epochs),
                  batches, config_.progress);
  loader_->start_epoch(epoch);
  const auto start = Clock::now();
  int64_t images = 0;
  int steps = 0;
  TrainBatch batch;
  for (int b = 0; b < batches && loader_->next(batch); ++b) {
    r.skipped += batch.skipped;
    bar.advance();
    // One process alone skips a batch with nothing to learn from (all corrupt); processes of a
    // group all take part in every step.
    if (!group_ && config_.grad_accumulation == 1 && batch.images.size(0) < 2) continue;
    train_step(batch, epoch, b, r);
    ++steps;
    images += batch.images.size(0);
  }
  if (group_) {
    // The epoch's figures over every process: losses are per slice, so summed they are means.
    auto sums = torch::zeros({10}, torch::kFloat64);
    auto acc = sums.accessor<double, 1>();
    acc[0] = r.total;
    for (int i = 0; i < 4; ++i) {
      acc[1 + i] = r.identity[i];
      acc[5 + i] = r.triplet[i];
    }
    acc[9] = static_cast<double>(images);
    auto skipped = torch::full({1}, static_cast<double>(r.skipped), torch::kFloat64);
    group_->all_reduce_sum({sums, skipped}, "summing the epoch's losses");
    r.total = acc[0];
    for (int i = 0; i < 4; ++i) {
      r.identity[i] = acc[1 + i];
      r.triplet[i] = acc[5 + i];
    }
    images = static_cast<int64_t>(acc[9]);
    r.skipped = static_cast<int64_t>(skipped.item<double>());
  }
  bar.finish();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.images_per_second = images / std::max(1e-9, r.seconds);
  if (steps > 0) {
    r.total /= steps;
    for (int i = 0; i < 4; ++i) {
      r.identity[i] /= steps;
      r.triplet[i] /= steps;
    }
  }
  if (!std::isfinite(r.total))
    throw Error("training diverged at epoch " + std::to_string(r.epoch) + " (loss is not finite)");
  return r;
}

namespace {
// BatchNorm's running statistics (`floating`) or its batch counters.
std::vector<torch::Tensor> buffers_of(torch::nn::Module& model, bool floating) {
  std::vector<torch::Tensor> out;
  for (auto& b : model.buffers())
    if (b.is_floating_point() == floating) out.push_back(b);
  return out;
}

// The random state of slice `slice` of batch `index`: dropout draws the same masks for a slice
// whichever process (or accumulation step) trains it.
uint64_t slice_seed(uint64_t seed, int epoch, int index, int slice) {
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (static_cast<uint64_t>(epoch) << 40) ^
               (static_cast<uint64_t>(index) << 16) ^ static_cast<uint64_t>(slice);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ULL;
  return (x ^ (x >> 29)) & 0x7fffffffffffffffULL;
}
}  // namespace

void Trainer::train_step(const TrainBatch& batch, int epoch, int index, EpochRecord& r) {
  const int local = config_.grad_accumulation;
  const int world = group_ ? group_->world_size() : 1;
  const int slices = local * world;
  const bool fp16 = autocast_ && autocast_dtype_ == torch::kHalf;
  // fp16: the loss is scaled so that small gradients survive; overflowed steps are skipped.
  const double scale = fp16 ? loss_scale_ : 1.0;
  optimizer_->zero_grad();
  // Every slice starts from the same BatchNorm statistics and counters; the step keeps the
  // statistics' mean (as the processes of a group do) and counts one batch.
  const auto buffers = slices > 1 ? buffers_of(*model_, true) : std::vector<torch::Tensor>{};
  const auto counters = local > 1 ? buffers_of(*model_, false) : std::vector<torch::Tensor>{};
  std::vector<torch::Tensor> before, counters_before, sum;
  if (local > 1) {
    for (const auto& b : buffers) {
      before.push_back(b.clone());
      sum.push_back(torch::zeros_like(b));
    }
    for (const auto& c : counters) counters_before.push_back(c.clone());
  }
  int64_t offset = 0;
  for (int s = 0; s < local; ++s) {
    const int64_t rows =
        slices > 1 ? batch.slice_rows.at(static_cast<size_t>(s)) : batch.images.size(0);
    const auto xs = batch.images.narrow(0, offset, rows);
    const auto ys = batch.labels.narrow(0, offset, rows);
    offset += rows;
    if (local > 1 && s > 0) {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(before[i]);
      for (size_t i = 0; i < counters.size(); ++i) counters[i].copy_(counters_before[i]);
    }
    if (slices > 1)
      torch::manual_seed(
          slice_seed(config_.seed, epoch, index, (group_ ? group_->rank() : 0) * local + s));
    if (rows >= 2) {
      auto x = xs.to(device_);
      if (device_.is_cuda()) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      const auto y = ys.to(device_);
      LossTerms terms;
      {
        AutocastScope autocast(autocast_, c10::DeviceType::CUDA, autocast_dtype_);
        terms = deep_supervision_loss(model_->forward_train(x), y, config_.loss);
      }
      (terms.total * (scale / slices)).backward();
      r.total += terms.total.item<double>() / slices;
      for (int i = 0; i < 4; ++i) {
        r.identity[i] += terms.identity[i].item<double>() / slices;
        r.triplet[i] += terms.triplet[i].item<double>() / slices;
      }
    }
    if (local > 1) {
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < buffers.size(); ++i) sum[i].add_(buffers[i]);
    }
  }
  torch::NoGradGuard no_grad;
  if (local > 1)
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(sum[i] / local);
  if (group_) {
    std::vector<torch::Tensor> grads;
    for (auto& p : model_->parameters()) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    group_->all_reduce_sum(grads, "averaging gradients");
    group_->all_reduce_sum(buffers, "averaging BatchNorm statistics");
    for (auto& b : buffers) b.div_(world);
  }
  if (!fp16) {
    optimizer_->step();
    return;
  }
  bool finite = true;
  for (auto& p : model_->parameters())
    if (p.grad().defined()) {
      p.mutable_grad().div_(loss_scale_);
      finite = finite && torch::isfinite(p.grad()).all().item<bool>();
    }
  if (finite) {
    optimizer_->step();
    if (++good_steps_ % 2000 == 0) loss_scale_ *= 2;
  } else {
    loss_scale_ /= 2;
    good_steps_ = 0;
  }
}

MetricsSummary Trainer::evaluate() {
  LoadedModel loaded;
  loaded.model = model_;
  loaded.preprocess = PreprocessConfig::for_model(model_->config());
  EngineOptions eo;
  eo.device = config_.device;
  eo.batch_size = config_.eval_batch;
  EmbeddingEngine engine(loaded, eo);
  ExtractOptions xo;
  xo.progress = false;
  auto qf = extract_features(engine, data_.query, eo.batch_size, xo);
  auto gf = extract_features(engine, data_.gallery, eo.batch_size, xo);
  const auto e = hat::evaluate(std::move(qf), std::move(gf), labels_of(data_.query),
                               labels_of(data_.gallery), {});
  model_->train();
  return e.metrics;
}

void Trainer::write_log_and_curves() const {
  std::ostringstream lines;
  for (const auto& r : history_) lines << to_json(r).dump() << "\n";
  const std::string text = lines.str();
  write_file_atomically(config_.output + "/log.jsonl", text.data(), text.size());
  Series loss{"loss", {}, {}}, map{"mAP (%)", {}, {}};
  double max_loss = 0;
  for (const auto& r : history_) {
    loss.x.push_back(r.epoch);
    loss.y.push_back(r.total);
    max_loss = std::max(max_loss, r.total);
    if (!r.metrics.is_null()) {
      map.x.push_back(r.epoch);
      map.y.push_back(100 * r.metrics["mAP"].get<double>());
    }
  }
  // One chart: the loss scaled to percent of its maximum, so both share the 0..100 axis.
  for (auto& y : loss.y) y = 100 * y / std::max(1e-12, max_loss);
  loss.name = "loss (% of max " + std::to_string(max_loss).substr(0, 5) + ")";
  std::vector<Series> series = {loss};
  if (!map.x.empty()) series.push_back(map);
  write_line_plot(config_.output + "/curves.png", data_.name + " / " + model_->config().preset,
                  "epoch", "percent", series, 0, 100);
}

void Trainer::save_checkpoint_files(bool final) {
  Checkpoint ckpt;
  ckpt.config = model_->config();
  ckpt.preprocess = PreprocessConfig::for_model(ckpt.config);
  ckpt.state = module_state(*model_);
  nlohmann::json last_metrics;
  for (const auto& r : history_)
    if (!r.metrics.is_null()) last_metrics = r.metrics;
  ckpt.provenance = {{"source", "hat-train " + std::string(kVersion)},
                     {"dataset", data_.name},
                     {"epoch", completed_},
                     {"metrics", last_metrics},
                     {"pretrained", config_.pretrained},
                     {"init", config_.init},
                     {"seed", config_.seed},
                     {"created", utc_timestamp()}};
  if (final) save_checkpoint(config_.output + "/model.hat", ckpt);
  // The resumable copy: optimiser, random state and history beside the weights, in one file so
  // that they can never disagree.
  torch::serialize::OutputArchive archive;
  optimizer_->save(archive);
  std::ostringstream os;
  archive.save_to(os);
  auto gen = at::detail::getDefaultCPUGenerator();
  torch::Tensor rng;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    rng = gen.get_state();
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& r : history_) history.push_back(to_json(r));
  ckpt.training = {{"completed_epochs", completed_},
                   {"history", history},
                   {"config", to_json(config_)},
                   {"loss_scale", loss_scale_},
                   {"good_steps", good_steps_}};
  ckpt.training_tensors.insert("optimizer", bytes_tensor(os.str()));
  ckpt.training_tensors.insert("cpu_rng", rng);
  save_checkpoint(config_.output + "/last.hat", ckpt);
}

void Trainer::restore(const std::string& path) {
  const Checkpoint ckpt = read_checkpoint(path);
  if (ckpt.training.is_null()) throw Error(path + ": holds no training state to resume from");
  if (!(ckpt.config == model_->config()))
    throw Error(path + ": was trained with another model configuration (preset '" +
                ckpt.config.preset + "')");
  {
    torch::NoGradGuard ng;
    load_state(*model_, ckpt.state, path);
  }
  std::istringstream is(tensor_bytes(ckpt.training_tensors["optimizer"]));
  torch::serialize::InputArchive archive;
  archive.load_from(is, device_);
  optimizer_->load(archive);
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(ckpt.training_tensors["cpu_rng"]);
  }
  completed_ = ckpt.training.at("completed_epochs");
  loss_scale_ = ckpt.training.at("loss_scale");
  good_steps_ = ckpt.training.at("good_steps");
  history_.clear();
  for (const auto& r : ckpt.training.at("history")) history_.push_back(epoch_record_from_json(r));
  log_ << "resumed " << path << " after epoch " << completed_ << "\n";
}

void Trainer::run(bool resume) {
  if (writes_run_folder()) {
    make_dir(config_.output);
    write_json_file(config_.output + "/config.json", to_json(config_));
  }
  if (resume) restore(config_.output + "/last.hat");
  for (int epoch = completed_; epoch < config_.epochs; ++epoch) {
    EpochRecord r = train_epoch(epoch);
    completed_ = epoch + 1;
    const bool last = completed_ == config_.epochs;
    const bool evaluable = writes_run_folder() && !data_.query.empty() && !data_.gallery.empty();
    if (evaluable && (last || (config_.eval_every > 0 && completed_ % config_.eval_every == 0)))
      r.metrics = to_json(evaluate());
    history_.push_back(r);
    if (!writes_run_folder()) continue;  // rank 0 reports and keeps the run folder
    char line[256];
    std::snprintf(line, sizeof line, "epoch %d/%d: loss %.4f, lr %.2e, %.1f images/s", r.epoch,
                  config_.epochs, r.total, r.lr, r.images_per_second);
    log_ << line;
    if (!r.metrics.is_null())
      log_ << ", mAP " << 100 * r.metrics["mAP"].get<double>() << " %, R1 "
           << 100 * r.metrics["cmc"][0].get<double>() << " %";
    if (r.skipped) log_ << ", " << r.skipped << " unreadable image(s) skipped";
    log_ << "\n";
    write_log_and_curves();
    if (last || completed_ % config_.checkpoint_every == 0) save_checkpoint_files(last);
  }
}

}  // namespace hat
