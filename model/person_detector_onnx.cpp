#include "model/person_detector_onnx.h"

#include "base/error.h"
#include "base/version.h"
#include "model/onnx_graph.h"

namespace hat {

namespace {

namespace nn = torch::nn;

// Writes the graph of one module kind at a time; `x` is the name of the value flowing through.
class Exporter {
 public:
  explicit Exporter(OnnxGraph& graph) : g_(graph) {}

  // conv (with `bn` folded in when given), then ReLU6 when `relu6`.
  std::string conv(const std::string& x, const nn::Conv2d& conv, const nn::BatchNorm2d* bn,
                   bool relu6, const std::string& hint) {
    torch::NoGradGuard no_grad;
    torch::Tensor w = conv->weight.detach().clone();
    torch::Tensor b =
        conv->options.bias() ? conv->bias.detach().clone() : torch::zeros({w.size(0)}, w.options());
    if (bn) {
      const auto& m = *bn;
      const torch::Tensor scale = m->weight / torch::sqrt(m->running_var + m->options.eps());
      w = w * scale.view({-1, 1, 1, 1});
      b = (b - m->running_mean) * scale + m->bias;
    }
    const auto& o = conv->options;
    const auto k = o.kernel_size(), s = o.stride();
    const auto p = std::get<torch::ExpandingArray<2>>(o.padding());
    const std::string y = g_.add_node(
        "Conv", {x, g_.add_initializer(hint + ".weight", w), g_.add_initializer(hint + ".bias", b)},
        hint,
        {onnx_ints("kernel_shape", {k->at(0), k->at(1)}),
         onnx_ints("strides", {s->at(0), s->at(1)}),
         onnx_ints("pads", {p->at(0), p->at(1), p->at(0), p->at(1)}),
         onnx_ints("dilations", {1, 1}), onnx_int("group", o.groups())});
    if (!relu6) return y;
    return g_.add_node("Clip", {y}, hint + ".relu6",
                       {onnx_float("min", 0.0f), onnx_float("max", 6.0f)});
  }

  std::string conv_bn_relu6(const std::string& x, ConvBnRelu6Impl& m, const std::string& hint) {
    return conv(x, m.conv(), &m.bn(), true, hint);
  }

  std::string inverted_residual(const std::string& x, InvertedResidualImpl& m,
                                const std::string& hint) {
    std::string y = x;
    const auto& layers = *m.layers();
    for (size_t k = 0; k < layers.size(); ++k) {
      const std::string name = hint + ".conv." + std::to_string(k);
      if (auto* c = layers[k]->as<ConvBnRelu6Impl>()) {
        y = conv_bn_relu6(y, *c, name);
      } else if (layers[k]->as<nn::Conv2dImpl>()) {
        const nn::Conv2d c(std::dynamic_pointer_cast<nn::Conv2dImpl>(layers.ptr(k)));
        const nn::BatchNorm2d bn(std::dynamic_pointer_cast<nn::BatchNorm2dImpl>(layers.ptr(k + 1)));
        if (c.is_empty() || bn.is_empty()) throw Error("ONNX export: unexpected layer in " + hint);
        y = conv(y, c, &bn, false, name);
        ++k;  // the BN folded in
      } else {
        throw Error("ONNX export: unexpected layer in " + hint);
      }
    }
    return m.residual() ? g_.add_node("Add", {x, y}, hint + ".add") : y;
  }

  std::string scalar(const std::string& hint, float value) {
    auto [it, fresh] = scalars_.try_emplace(value);
    if (fresh) it->second = g_.add_initializer(hint, torch::tensor(value));
    return it->second;
  }

 private:
  OnnxGraph& g_;
  std::map<float, std::string> scalars_;
};

}  // namespace

void export_person_detector_onnx(PersonDetectorNetImpl& net, const std::string& path) {
  const auto& cfg = net.config();
  OnnxGraph g("hat-person-detector");
  g.add_input("images", {1, 3, cfg.input_height, cfg.input_width});
  Exporter e(g);
  // The backbone, keeping features[6], [13] and [18] (strides 8, 16, 32).
  std::array<std::string, 3> levels;
  std::string x = "images";
  const auto& features = *net.backbone()->features();
  for (size_t k = 0; k < features.size(); ++k) {
    const std::string hint = "backbone.features." + std::to_string(k);
    if (auto* c = features[k]->as<ConvBnRelu6Impl>())
      x = e.conv_bn_relu6(x, *c, hint);
    else
      x = e.inverted_residual(x, *features[k]->as<InvertedResidualImpl>(), hint);
    if (k == 6) levels[0] = x;
    if (k == 13) levels[1] = x;
    if (k == 18) levels[2] = x;
  }
  // The pyramid's top-down path, as upsample_add computes it.
  const std::string scales =
      g.add_initializer("resize.scales", torch::tensor({1.0f, 1.0f, 2.0f, 2.0f}));
  auto up_add = [&](const std::string& coarse, const std::string& fine, const std::string& hint) {
    const std::string up =
        g.add_node("Resize", {coarse, scales}, hint + ".up", {onnx_string("mode", "nearest")});
    return g.add_node("Add", {fine, up}, hint + ".add");
  };
  std::string p = e.conv_bn_relu6(levels[2], *net.lateral(2), "lateral2");
  p = up_add(p, e.conv_bn_relu6(levels[1], *net.lateral(1), "lateral1"), "pyramid1");
  p = up_add(p, e.conv_bn_relu6(levels[0], *net.lateral(0), "lateral0"), "pyramid0");
  p = e.conv_bn_relu6(p, *net.head(), "head");
  const std::string heat = e.conv(p, net.heat_out(), nullptr, false, "heat");
  const std::string offset = e.conv(p, net.offset_out(), nullptr, false, "offset");
  const std::string size = e.conv(p, net.size_out(), nullptr, false, "size");
  // The decoding of PersonDetectorNetImpl::decode.
  const std::string stride = e.scalar("stride", static_cast<float>(kPersonDetectorStride));
  const std::string centres = g.add_node("Add",
                                         {g.add_node("Mul", {offset, stride}, "offset.pixels"),
                                          g.add_initializer("grid", person_detector_grid(cfg))},
                                         "centres");
  const std::string sizes =
      g.add_node("Mul", {g.add_node("Exp", {size}, "size.exp"), stride}, "sizes");
  const std::string score = g.add_node("Sigmoid", {heat}, "score");
  const std::string table =
      g.add_node("Concat", {centres, sizes, score}, "table", {onnx_int("axis", 1)});
  const int64_t cells =
      (cfg.input_height / kPersonDetectorStride) * (cfg.input_width / kPersonDetectorStride);
  g.add_node("Reshape", {table, g.add_initializer("boxes.shape", torch::tensor({1L, 5L, cells}))},
             "boxes");
  g.rename_last_output("boxes");
  g.add_output("boxes", {1, 5, cells});
  g.add_metadata("decoder", "yolov8: [1, 5, cells] = cx, cy, w, h (input pixels), person score");
  g.add_metadata("preprocessing",
                 "RGB / 255, letterboxed at the top-left corner, padding grey 114");
  g.save(path, "hat-train detector", kVersion);
}

}  // namespace hat
