#include "train/synthetic_people.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace hat {

namespace {

using Rng = std::mt19937_64;

double uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
int pick(Rng& rng, int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }

cv::Scalar colour(Rng& rng) {
  // Clothing palettes lean on saturated and dark colours, as real clothes do.
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(pick(rng, 180), 40 + pick(rng, 215), 30 + pick(rng, 225)));
  cv::Mat bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const auto p = bgr.at<cv::Vec3b>(0, 0);
  return cv::Scalar(p[0], p[1], p[2]);
}

cv::Scalar mix(const cv::Scalar& a, const cv::Scalar& b, double t) { return a * (1 - t) + b * t; }

// Fills `mask`'s area of `img` with the colour and pattern of a garment.
void paint(cv::Mat& img, const cv::Mat& mask, const cv::Scalar& base, const cv::Scalar& second,
           int pattern, const cv::Rect& box) {
  cv::Mat layer(img.size(), img.type(), base);
  const int step = std::max(3, box.height / 6);
  if (pattern == 1)
    for (int y = box.y; y < box.y + box.height; y += 2 * step)
      cv::rectangle(layer, cv::Rect(0, y, img.cols, step), second, -1);
  if (pattern == 2)
    for (int x = box.x; x < box.x + box.width; x += 2 * step)
      cv::rectangle(layer, cv::Rect(x, 0, step, img.rows), second, -1);
  if (pattern == 3)
    for (int y = box.y; y < box.y + box.height; y += step)
      for (int x = box.x + ((y - box.y) / step % 2) * step; x < box.x + box.width; x += 2 * step)
        cv::rectangle(layer, cv::Rect(x, y, step, step), second, -1);
  layer.copyTo(img, mask);
}

}  // namespace

Identity make_identity(uint64_t seed) {
  Rng rng(seed * 7919 + 17);
  Identity id;
  id.height = uniform(rng, 0.88, 1.0);
  id.width = uniform(rng, 0.8, 1.2);
  const cv::Scalar skins[] = {
      {150, 180, 225}, {110, 150, 200}, {80, 115, 160}, {50, 75, 110}, {170, 200, 235}};
  id.skin = skins[pick(rng, 5)];
  const cv::Scalar hairs[] = {
      {20, 20, 25}, {30, 50, 80}, {60, 100, 150}, {150, 150, 150}, {40, 40, 60}};
  id.hair = hairs[pick(rng, 5)];
  id.top = colour(rng);
  id.pattern_colour = colour(rng);
  id.bottom = colour(rng);
  id.shoes = mix(colour(rng), cv::Scalar(20, 20, 20), 0.6);
  id.bag_colour = colour(rng);
  id.top_pattern = pick(rng, 5) < 2 ? 0 : 1 + pick(rng, 3);
  id.bottom_style = pick(rng, 6) < 4 ? 0 : 1 + pick(rng, 2);
  id.bag = pick(rng, 3);
  id.long_hair = pick(rng, 3) == 0;
  return id;
}

Camera make_camera(uint64_t seed) {
  Rng rng(seed * 104729 + 3);
  Camera c;
  c.background_top = colour(rng) * 0.5 + cv::Scalar(90, 90, 90);
  c.background_bottom = mix(colour(rng), cv::Scalar(110, 110, 110), 0.6);
  c.cast = cv::Scalar(uniform(rng, 0.8, 1.2), uniform(rng, 0.85, 1.15), uniform(rng, 0.8, 1.2));
  c.gain = uniform(rng, 0.7, 1.25);
  c.blur = uniform(rng, 0.0, 1.4);
  c.noise = uniform(rng, 2.0, 10.0);
  c.scale = uniform(rng, 0.45, 1.0);  // how large people appear: the resolution of the crop
  c.occlusion = uniform(rng, 0.0, 0.3);
  c.texture_seed = static_cast<int>(seed);
  return c;
}

Camera vary_camera(Camera c, uint64_t seed, std::shared_ptr<const std::vector<cv::Mat>> backdrops) {
  Rng rng(seed * 6364136223846793005ULL + 1442695040888963407ULL);
  // Casts and exposure of real cameras: white balance off by up to 30 %, dim to bright.
  c.cast = cv::Scalar(uniform(rng, 0.7, 1.3), uniform(rng, 0.8, 1.2), uniform(rng, 0.7, 1.3));
  c.gain = uniform(rng, 0.55, 1.35);
  c.blur = uniform(rng, 0.0, 2.0);
  c.light = uniform(rng, 0.0, 0.45);
  c.saturation = uniform(rng, 0.55, 1.3);
  c.motion_blur = pick(rng, 3) == 0 ? uniform(rng, 0.05, 0.2) : 0.0;
  c.jpeg_quality = pick(rng, 2) == 0 ? 30 + pick(rng, 60) : 0;
  c.box_jitter = uniform(rng, 0.04, 0.12);
  c.neighbour = uniform(rng, 0.1, 0.3);
  c.occlusion = uniform(rng, 0.1, 0.4);
  c.varied_occluders = true;
  c.backdrops = std::move(backdrops);
  return c;
}

void composite_sprite(cv::Mat& scene, const PersonSprite& sprite, cv::Point at) {
  const cv::Rect where(at, sprite.colour.size());
  const cv::Rect dst = where & cv::Rect(0, 0, scene.cols, scene.rows);
  if (dst.empty()) return;
  const cv::Rect src = dst - where.tl();
  cv::Mat alpha3;
  cv::merge(std::vector<cv::Mat>(3, sprite.alpha(src)), alpha3);
  cv::Mat region = scene(dst);
  region = region.mul(cv::Scalar::all(1.0) - alpha3) + sprite.colour(src);
}

namespace {

// A patch of one of the real backgrounds, `size` large, at a random place and scale.
cv::Mat backdrop_patch(const std::vector<cv::Mat>& backdrops, cv::Size size, Rng& rng) {
  const cv::Mat& plate =
      backdrops[static_cast<size_t>(pick(rng, static_cast<int>(backdrops.size())))];
  const double aspect = static_cast<double>(size.width) / size.height;
  int ph = std::min(plate.rows, static_cast<int>(plate.rows * uniform(rng, 0.12, 0.45)));
  int pw = static_cast<int>(ph * aspect);
  if (pw > plate.cols) {
    pw = plate.cols;
    ph = std::max(1, static_cast<int>(pw / aspect));
  }
  const cv::Rect patch(pick(rng, plate.cols - pw + 1), pick(rng, plate.rows - ph + 1), pw, ph);
  cv::Mat out;
  cv::resize(plate(patch), out, size, 0, 0, ph > size.height ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (pick(rng, 2) == 0) cv::flip(out, out, 1);
  return out;
}

// The varied look's occluders: a bar across the top or bottom (the classic one), a pole, or a
// piece of the scene itself in front of the person.
void occlude(cv::Mat& img, const Camera& cam, cv::Rect box, Rng& rng) {
  const int kind = pick(rng, 3);
  if (kind == 0) {
    const int oh = static_cast<int>(box.height * uniform(rng, 0.15, 0.4));
    const bool bottom = pick(rng, 2) == 0;
    cv::rectangle(
        img, cv::Rect(0, bottom ? box.br().y - oh : 0, img.cols, bottom ? img.rows : box.y + oh),
        mix(colour(rng), cam.background_bottom, 0.5), -1);
  } else if (kind == 1) {
    const int pw = std::max(2, static_cast<int>(box.width * uniform(rng, 0.08, 0.25)));
    const int x = box.x + pick(rng, std::max(1, box.width - pw));
    cv::rectangle(img, cv::Rect(x, 0, pw, img.rows), mix(colour(rng), cv::Scalar::all(80), 0.6),
                  -1);
  } else {
    const int oh = static_cast<int>(box.height * uniform(rng, 0.2, 0.45));
    const cv::Rect part(0, box.br().y - oh, img.cols, img.rows - (box.br().y - oh));
    const cv::Mat piece =
        cam.backdrops && !cam.backdrops->empty()
            ? backdrop_patch(*cam.backdrops, part.size(), rng)
            : cv::Mat(part.size(), img.type(), mix(colour(rng), cam.background_bottom, 0.7));
    piece.copyTo(img(part));
  }
}

// The person over the camera's background; `matte`: over a flat `flat` background, without the
// scene's clutter and occluders and without the camera's light, cast and noise, so that two such
// renders over two flats give the person's colour and coverage (render_person_sprite). The varied
// look draws from a generator of its own, so that the classic look renders what it always did.
cv::Mat draw_person(const Identity& id, const Camera& cam, uint64_t seed, cv::Size size, bool matte,
                    double flat) {
  Rng rng(seed);
  Rng vary(seed * 2862933555777941757ULL + 3037000493ULL);
  // Draw at a camera-dependent resolution, then bring to the output size: distant cameras blur.
  const int h = std::max(48, static_cast<int>(std::lround(256 * cam.scale))),
            w = std::max(24, h / 2);
  // Misframed boxes need scene around the crop: a margin that the final crop moves within.
  const double jitter = matte ? 0.0 : cam.box_jitter;
  const int mx = jitter > 0 ? static_cast<int>(std::ceil(1.5 * jitter * w)) + 1 : 0,
            my = jitter > 0 ? static_cast<int>(std::ceil(1.5 * jitter * h)) + 1 : 0;
  const int W = w + 2 * mx, H = h + 2 * my;
  const cv::Rect box(mx, my, w, h);  // the person's box in the canvas
  const bool backdrop = !matte && cam.backdrops && !cam.backdrops->empty();
  cv::Mat img(H, W, CV_8UC3);
  if (backdrop) {
    img = backdrop_patch(*cam.backdrops, img.size(), vary);
  } else {
    for (int y = 0; y < H; ++y)
      img.row(y).setTo(matte ? cv::Scalar::all(flat)
                             : mix(cam.background_top, cam.background_bottom,
                                   std::clamp(static_cast<double>(y - my) / h, 0.0, 1.0)));
    Rng texture(static_cast<uint64_t>(cam.texture_seed) * 31 + seed % 5);
    for (int i = 0; i < (matte ? 0 : 6); ++i) {  // background clutter
      const cv::Point c(pick(texture, W), pick(texture, H));
      cv::ellipse(img, c, cv::Size(3 + pick(texture, W / 3), 3 + pick(texture, H / 6)), 0, 0, 360,
                  mix(cam.background_bottom, colour(texture), 0.35), -1);
    }
  }
  // Someone beside the person, behind or in front, as in crops of a crowd.
  const bool neighbour = !matte && cam.neighbour > 0 && uniform(vary, 0, 1) < cam.neighbour;
  const bool neighbour_behind = neighbour && pick(vary, 5) < 3;
  PersonSprite other;
  cv::Point other_at;
  if (neighbour) {
    Camera flat_cam;
    flat_cam.scale = cam.scale;
    other = render_person_sprite(make_identity(vary()), flat_cam, vary(), cv::Size(w, h));
    const int side = pick(vary, 2) == 0 ? -1 : 1;
    other_at = cv::Point(mx + static_cast<int>(side * uniform(vary, 0.45, 0.8) * w),
                         my + static_cast<int>(uniform(vary, -0.08, 0.12) * h));
  }
  auto draw_other = [&] {
    cv::Mat f;
    img.convertTo(f, CV_32FC3);
    composite_sprite(f, other, other_at);
    f.convertTo(img, CV_8UC3);
  };
  if (neighbour_behind) draw_other();

  const double s = h / 256.0;
  const double cx = mx + w / 2.0 + uniform(rng, -0.06, 0.06) * w;
  const double body_h = 230 * s * id.height * uniform(rng, 0.95, 1.02);
  const double top_y = my + h - body_h - 8 * s + uniform(rng, -4, 4) * s;
  auto P = [&](double x, double y) {
    return cv::Point(static_cast<int>(cx + x * s * id.width),
                     static_cast<int>(top_y + y * body_h / 230));
  };
  const double phase = uniform(rng, 0, 2 * M_PI), swing = std::sin(phase) * 14;
  const int facing = pick(rng, 3);  // 0 front, 1 back, 2 side
  const int limb = std::max(2, static_cast<int>(11 * s * id.width));

  // Legs and shoes.
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8UC1);
  const int hip = 120, knee = 170, foot = 222;
  for (int side : {-1, 1}) {
    const double dx = side * (facing == 2 ? 4 : 10), sw = side * swing;
    cv::line(mask, P(dx, hip), P(dx + sw * 0.5, knee), 255, limb + 2);
    cv::line(mask, P(dx + sw * 0.5, knee), P(dx + sw, foot), 255, limb);
  }
  cv::Mat skirt = cv::Mat::zeros(img.size(), CV_8UC1);
  if (id.bottom_style == 2) {
    std::vector<cv::Point> poly = {P(-20, hip - 10), P(20, hip - 10), P(30, 165), P(-30, 165)};
    cv::fillConvexPoly(skirt, poly, 255);
  }
  const cv::Rect all(0, 0, W, H);
  cv::Mat legs_skin = mask.clone();
  if (id.bottom_style == 0) {
    paint(img, mask, id.bottom, id.bottom, 0, all);
  } else {
    cv::Mat upper = cv::Mat::zeros(img.size(), CV_8UC1);
    cv::rectangle(upper, cv::Rect(0, 0, W, P(0, id.bottom_style == 1 ? 155 : 120).y), 255, -1);
    paint(img, legs_skin, id.skin, id.skin, 0, all);
    cv::Mat shorts;
    cv::bitwise_and(mask, upper, shorts);
    paint(img, shorts, id.bottom, id.bottom, 0, all);
    paint(img, skirt, id.bottom, id.bottom, 0, all);
  }
  for (int side : {-1, 1}) {
    const double dx = side * (facing == 2 ? 4 : 10) + side * swing;
    cv::ellipse(img, P(dx + (facing == 2 ? 5 : 0), foot + 2),
                cv::Size(std::max(2, limb), std::max(1, limb / 2)), 0, 0, 360, id.shoes, -1);
  }
  // Torso with the shirt's pattern.
  cv::Mat torso = cv::Mat::zeros(img.size(), CV_8UC1);
  const double half = facing == 2 ? 17 : 24;
  std::vector<cv::Point> body = {P(-half, 48), P(half, 48), P(half * 0.85, hip + 6),
                                 P(-half * 0.85, hip + 6)};
  cv::fillConvexPoly(torso, body, 255);
  paint(img, torso, id.top, id.pattern_colour, id.top_pattern, cv::boundingRect(body));
  // Arms swing against the legs.
  for (int side : {-1, 1}) {
    const double sw = -side * swing * 0.8;
    const cv::Point shoulder = P(side * (half + 2), 54), hand = P(side * (half + 6) + sw, 118);
    cv::line(img, shoulder, hand, id.top, limb);
    cv::circle(img, hand, std::max(2, limb / 2 + 1), id.skin, -1);
  }
  // Bag: a backpack shows from behind and the side, a shoulder bag at the hip.
  if (id.bag == 1 && facing != 0)
    cv::rectangle(
        img, cv::Rect(P(facing == 2 ? -half - 10 : -16, 56), P(facing == 2 ? -half + 4 : 16, 108)),
        id.bag_colour, -1);
  if (id.bag == 2) {
    cv::line(img, P(-half + 4, 50), P(half, hip - 10), mix(id.bag_colour, cv::Scalar(0, 0, 0), 0.3),
             std::max(1, limb / 3));
    cv::rectangle(img, cv::Rect(P(half - 6, hip - 22), P(half + 12, hip + 2)), id.bag_colour, -1);
  }
  // Head and hair.
  const cv::Point head = P(0, 28);
  const int r = std::max(3, static_cast<int>(18 * s));
  cv::circle(img, head, r, facing == 1 ? id.hair : id.skin, -1);
  cv::ellipse(img, head - cv::Point(0, r / 3), cv::Size(r, r * 2 / 3), 0, 180, 360, id.hair, -1);
  if (id.long_hair)
    cv::rectangle(img, cv::Rect(head + cv::Point(-r, 0), head + cv::Point(r, r + r / 2)), id.hair,
                  -1);
  if (neighbour && !neighbour_behind) draw_other();
  // Partial occlusion by something in the scene.
  if (uniform(rng, 0, 1) < cam.occlusion && !matte) {
    if (cam.varied_occluders) {
      occlude(img, cam, box, vary);
    } else {
      const int oh = static_cast<int>(h * uniform(rng, 0.15, 0.35));
      const bool bottom = pick(rng, 2) == 0;
      cv::rectangle(img, cv::Rect(0, bottom ? h - oh : 0, w, oh),
                    mix(colour(rng), cam.background_bottom, 0.5), -1);
    }
  }
  // The camera: illumination, colour cast, blur, resampling and sensor noise.
  cv::Mat f;
  img.convertTo(f, CV_32FC3);
  const double gain = matte ? 1.0 : cam.gain * uniform(rng, 0.92, 1.08);
  if (!matte)
    cv::multiply(f, cv::Scalar(cam.cast[0] * gain, cam.cast[1] * gain, cam.cast[2] * gain), f);
  if (!matte && cam.light > 0) {  // light from one side: brighter there, darker opposite
    const double angle = uniform(vary, 0, 2 * M_PI), strength = cam.light * uniform(vary, 0.5, 1);
    cv::Mat ramp(f.size(), CV_32F);
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        ramp.at<float>(y, x) =
            static_cast<float>(1 + strength * ((x - W / 2.0) / W * std::cos(angle) +
                                               (y - H / 2.0) / H * std::sin(angle)));
    cv::Mat ramp3;
    cv::merge(std::vector<cv::Mat>(3, ramp), ramp3);
    f = f.mul(ramp3);
  }
  if (!matte && cam.saturation != 1.0) {  // towards or away from each pixel's grey
    cv::Mat grey;
    cv::transform(f, grey, cv::Matx13f(1 / 3.f, 1 / 3.f, 1 / 3.f));
    cv::Mat grey3;
    cv::merge(std::vector<cv::Mat>(3, grey), grey3);
    f = grey3 + (f - grey3) * cam.saturation;
  }
  if (!matte && cam.motion_blur > 0) {
    const int length = std::max(1, static_cast<int>(std::lround(cam.motion_blur * W)));
    cv::blur(f, f, cv::Size(length, 1));
  }
  if (cam.blur > 0.2) cv::GaussianBlur(f, f, cv::Size(0, 0), cam.blur);
  if (jitter > 0) {  // the detector's box: off-centre and a little too large or too small
    const double scale = uniform(vary, 1 - jitter, 1 + jitter);
    const double cx0 = mx + w / 2.0 + uniform(vary, -jitter, jitter) * w,
                 cy0 = my + h / 2.0 + uniform(vary, -jitter, jitter) * h / 2;
    const cv::Rect crop =
        cv::Rect(static_cast<int>(cx0 - w * scale / 2), static_cast<int>(cy0 - h * scale / 2),
                 static_cast<int>(w * scale), static_cast<int>(h * scale)) &
        cv::Rect(0, 0, W, H);
    f = f(crop).clone();
  }
  cv::resize(f, f, size, 0, 0, f.rows > size.height ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (matte) return f;
  cv::Mat noise(f.size(), f.type());
  cv::RNG cvrng(seed);
  cvrng.fill(noise, cv::RNG::NORMAL, 0, cam.noise);
  f += noise;
  cv::Mat out;
  f.convertTo(out, CV_8UC3);
  if (cam.jpeg_quality > 0) {  // the camera's stream is compressed before anyone crops it
    std::vector<uchar> bytes;
    cv::imencode(".jpg", out, bytes, {cv::IMWRITE_JPEG_QUALITY, cam.jpeg_quality});
    out = cv::imdecode(bytes, cv::IMREAD_COLOR);
  }
  return out;
}

}  // namespace

cv::Mat render_person(const Identity& id, const Camera& cam, uint64_t seed, cv::Size size) {
  return draw_person(id, cam, seed, size, false, 0);
}

PersonSprite render_person_sprite(const Identity& id, const Camera& cam, uint64_t seed,
                                  cv::Size size) {
  // Over black the render is alpha * colour; over white it adds (1 - alpha) * 255.
  const cv::Mat black = draw_person(id, cam, seed, size, true, 0);
  const cv::Mat white = draw_person(id, cam, seed, size, true, 255);
  cv::Mat spread = (white - black) / 255.0;
  std::vector<cv::Mat> channels;
  cv::split(spread, channels);
  PersonSprite sprite;
  sprite.alpha = 1.0 - (channels[0] + channels[1] + channels[2]) / 3.0;
  cv::max(sprite.alpha, 0.0, sprite.alpha);
  cv::min(sprite.alpha, 1.0, sprite.alpha);
  sprite.colour = black;
  return sprite;
}

}  // namespace hat
