// LossPlot: training and validation loss from a run's metrics.jsonl, drawn as a self-contained SVG with two
// panels, loss against updates and loss against training time, with labelled axes, units and a legend.
//
// Each panel is a <g class="panel"> whose data-x-min/-max and data-y-min/-max give the data range its plot area
// (a <rect class="plot-area">) spans, so a reader (and the test) can map every polyline point back to data.
import Foundation

/// One line of metrics.jsonl, with time made cumulative across resumed processes.
public struct LossPoint: Sendable, Equatable {
    public var step: Int
    /// Training seconds since the run began (each resumed process restarts its clock; the gaps are closed).
    public var seconds: Double
    public var trainLoss: Double
    public var validationLoss: Double?
}

/// Reading metrics.jsonl and drawing it as an SVG.
public enum LossPlot {
    /// Reads `metrics.jsonl` (one JSON object per line). Lines that are not metrics are an error naming the line.
    public static func read(metrics path: String) throws -> [LossPoint] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CorpusError.unreadable(path: path, reason: "missing or not readable; is this a run directory?")
        }
        var points: [LossPoint] = []
        var offset = 0.0  // seconds of earlier processes
        var last = 0.0
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let step = (object["step"] as? NSNumber)?.intValue,
                let train = (object["train_loss"] as? NSNumber)?.doubleValue,
                let seconds = (object["elapsed_seconds"] as? NSNumber)?.doubleValue
            else {
                throw MetricsError.malformedLine(path: path, line: number + 1)
            }
            if seconds < last { offset += last }  // a resumed process started its clock again
            last = seconds
            let validation = (object["val_loss"] as? NSNumber)?.doubleValue
            points.append(
                LossPoint(step: step, seconds: offset + seconds, trainLoss: train, validationLoss: validation))
        }
        return points
    }

    /// The SVG document for `points`.
    public static func svg(_ points: [LossPoint], title: String) -> String {
        let (width, height) = (960.0, 400.0)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        let losses = points.flatMap { [$0.trainLoss] + ($0.validationLoss.map { [$0] } ?? []) }.filter(\.isFinite)
        let yRange = niceRange(losses.min() ?? 0, losses.max() ?? 1)
        let panels: [(String, (LossPoint) -> Double)] = [
            ("training updates (steps)", { Double($0.step) }), ("training time (seconds)", { $0.seconds }),
        ]
        for (index, (label, x)) in panels.enumerated() {
            let xs = points.map(x)
            let xRange = niceRange(min(0, xs.min() ?? 0), xs.max() ?? 1)
            let area = (x: 70.0 + Double(index) * width / 2, y: 50.0, w: width / 2 - 100, h: height - 110)
            out += panel(points: points, x: x, xLabel: label, xRange: xRange, yRange: yRange, area: area)
        }
        // Legend.
        out += """
            <g class="legend" transform="translate(\(width - 230), 36)">
            <line x1="0" y1="0" x2="24" y2="0" stroke="#1f77b4" stroke-width="2"/>\
            <text x="30" y="4">training loss (mean since last point)</text>
            <line x1="0" y1="16" x2="24" y2="16" stroke="#ff7f0e" stroke-width="2"/>\
            <text x="30" y="20">validation loss</text>
            </g>
            </svg>

            """
        return out
    }

    /// One panel: frame, ticks, axis labels and the two series.
    private static func panel(
        points: [LossPoint], x: (LossPoint) -> Double, xLabel: String, xRange: (Double, Double),
        yRange: (Double, Double),
        area: (x: Double, y: Double, w: Double, h: Double)
    ) -> String {
        func px(_ v: Double) -> Double { area.x + (v - xRange.0) / (xRange.1 - xRange.0) * area.w }
        func py(_ v: Double) -> Double { area.y + area.h - (v - yRange.0) / (yRange.1 - yRange.0) * area.h }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        var s =
            "<g class=\"panel\" data-x-min=\"\(xRange.0)\" data-x-max=\"\(xRange.1)\" data-y-min=\"\(yRange.0)\" "
            + "data-y-max=\"\(yRange.1)\">\n"
        s +=
            "<rect class=\"plot-area\" x=\"\(f(area.x))\" y=\"\(f(area.y))\" width=\"\(f(area.w))\" "
            + "height=\"\(f(area.h))\" fill=\"none\" stroke=\"#444\"/>\n"
        for k in 0...5 {
            let xv = xRange.0 + (xRange.1 - xRange.0) * Double(k) / 5
            let yv = yRange.0 + (yRange.1 - yRange.0) * Double(k) / 5
            s +=
                "<line x1=\"\(f(px(xv)))\" y1=\"\(f(area.y + area.h))\" x2=\"\(f(px(xv)))\" "
                + "y2=\"\(f(area.y + area.h + 5))\" stroke=\"#444\"/>"
            s += "<text x=\"\(f(px(xv)))\" y=\"\(f(area.y + area.h + 18))\" text-anchor=\"middle\">\(tick(xv))</text>\n"
            s +=
                "<line x1=\"\(f(area.x - 5))\" y1=\"\(f(py(yv)))\" x2=\"\(f(area.x + area.w))\" y2=\"\(f(py(yv)))\" "
                + "stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(area.x - 8))\" y=\"\(f(py(yv) + 4))\" text-anchor=\"end\">\(tick(yv))</text>\n"
        }
        s +=
            "<text x=\"\(f(area.x + area.w / 2))\" y=\"\(f(area.y + area.h + 38))\" "
            + "text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s +=
            "<text transform=\"translate(\(f(area.x - 48)), \(f(area.y + area.h / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">loss (nats per token)</text>\n"
        let train = points.filter { $0.trainLoss.isFinite }.map { "\(f(px(x($0)))),\(f(py($0.trainLoss)))" }
        let validation = points.compactMap { p in
            p.validationLoss.flatMap { $0.isFinite ? "\(f(px(x(p)))),\(f(py($0)))" : nil }
        }
        s +=
            "<polyline class=\"series train\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" "
            + "points=\"\(train.joined(separator: " "))\"/>\n"
        s +=
            "<polyline class=\"series validation\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" "
            + "points=\"\(validation.joined(separator: " "))\"/>\n"
        return s + "</g>\n"
    }

    /// A range that starts and ends on round numbers and is never empty.
    static func niceRange(_ low: Double, _ high: Double) -> (Double, Double) {
        guard low.isFinite && high.isFinite else { return (0, 1) }
        if high <= low { return (low - 0.5, low + 0.5) }
        let step = pow(10, floor(log10((high - low) / 5)))
        return (floor(low / step) * step, ceil(high / step) * step)
    }

    private static func tick(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: abs(v) >= 10 ? "%.1f" : "%.2f", v)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Reads `runDirectory/metrics.jsonl` and writes the plot to `output` (default `runDirectory/loss.svg`),
    /// atomically. Returns the path written.
    @discardableResult
    public static func write(runDirectory: String, to output: String? = nil) throws -> String {
        let points = try read(metrics: runDirectory + "/metrics.jsonl")
        let path = output ?? runDirectory + "/loss.svg"
        let name = URL(fileURLWithPath: runDirectory).lastPathComponent
        try AtomicFile.write(Array(svg(points, title: "charrnn: \(name)").utf8), to: path)
        return path
    }
}

/// A metrics file (RUN_DIR/metrics.jsonl) that cannot be read as one.
public enum MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Line `line` (from 1) is not a metrics line: step, train_loss and elapsed_seconds are needed.
    case malformedLine(path: String, line: Int)

    public var description: String {
        switch self {
        case .malformedLine(let path, let line):
            return "\(path):\(line): not a metrics line (step, train_loss and elapsed_seconds are needed)"
        }
    }
}
