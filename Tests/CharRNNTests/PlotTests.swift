// The loss plot: the SVG's series, mapped back through each panel's axes, are metrics.jsonl's values.
import Foundation
import FoundationXML
import Testing
import TestSupport

@testable import CharRNN

/// The panels of a loss SVG: data ranges, plot area and the points of each series.
final class PlotReader: NSObject, XMLParserDelegate {
    struct Panel {
        var ranges: (xMin: Double, xMax: Double, yMin: Double, yMax: Double)
        var area = (x: 0.0, y: 0.0, w: 0.0, h: 0.0)
        var series: [String: [(Double, Double)]] = [:]
    }
    var panels: [Panel] = []
    var legend: [String] = []
    private var text = ""

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes a: [String: String] = [:]
    ) {
        let d = { (key: String) in Double(a[key] ?? "") ?? .nan }
        switch name {
        case "g" where a["class"] == "panel":
            panels.append(Panel(ranges: (d("data-x-min"), d("data-x-max"), d("data-y-min"), d("data-y-max"))))
        case "rect" where a["class"] == "plot-area":
            panels[panels.count - 1].area = (d("x"), d("y"), d("width"), d("height"))
        case "polyline":
            let kind = (a["class"] ?? "").split(separator: " ").last.map(String.init) ?? ""
            let p = panels[panels.count - 1]
            panels[panels.count - 1].series[kind] = (a["points"] ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                // Back from pixels to data.
                return (
                    p.ranges.xMin + (xy[0] - p.area.x) / p.area.w * (p.ranges.xMax - p.ranges.xMin),
                    p.ranges.yMin + (p.area.y + p.area.h - xy[1]) / p.area.h * (p.ranges.yMax - p.ranges.yMin)
                )
            }
        default: break
        }
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { legend.append(text) }
    }
}

@Suite struct PlotTests {
    @Test func theSVGSeriesAreTheMetrics() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.path + "/run"
        let r = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--hidden", "16", "--embedding", "8", "--batch-size", "3",
                "--seq-length", "7",
                "--max-steps", "12", "--eval-every", "3",
            ], stdin: ResumeTests.text)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("plot \(run)/loss.svg"), "\(r.stderr)")
        let reader = PlotReader()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: run + "/loss.svg")))
        parser.delegate = reader
        #expect(parser.parse(), "the SVG is not well-formed XML")
        let points = try LossPlot.read(metrics: run + "/metrics.jsonl")
        #expect(points.count == 4)
        #expect(reader.panels.count == 2)
        for (index, panel) in reader.panels.enumerated() {
            let xs = points.map { index == 0 ? Double($0.step) : $0.seconds }
            for (kind, values) in [
                ("train", points.map(\.trainLoss)), ("validation", points.map { $0.validationLoss! }),
            ] {
                let drawn = panel.series[kind] ?? []
                #expect(drawn.count == points.count, "panel \(index) \(kind)")
                // Coordinates are written to 0.01 px: allow that much in data units.
                let tx = 0.011 / panel.area.w * (panel.ranges.xMax - panel.ranges.xMin)
                let ty = 0.011 / panel.area.h * (panel.ranges.yMax - panel.ranges.yMin)
                for (k, (x, y)) in drawn.enumerated() {
                    #expect(
                        abs(x - xs[k]) <= tx && abs(y - values[k]) <= ty,
                        "panel \(index) \(kind) point \(k): (\(x), \(y)) vs (\(xs[k]), \(values[k]))")
                }
            }
        }
        let labels = reader.legend.joined(separator: "|")
        for label in [
            "training updates (steps)", "training time (seconds)", "loss (nats per token)", "validation loss",
            "training loss",
        ] {
            #expect(labels.contains(label), "missing \(label)")
        }
        // `charrnn plot` writes the same file elsewhere; a directory without metrics is one line.
        let other = dir.path + "/other.svg"
        let plotted = try runCharRNN(["plot", run, "-o", other])
        #expect(plotted.status == 0 && plotted.stdout == other + "\n", "\(plotted.stderr)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: other))
                == Data(contentsOf: URL(fileURLWithPath: run + "/loss.svg")))
        let missing = try runCharRNN(["plot", dir.path + "/nothing"])
        #expect(
            missing.status == 1 && missing.stderr.split(separator: "\n").count == 1
                && missing.stderr.contains("metrics.jsonl"), "\(missing.stderr)")
    }

    @Test func timeIsCumulativeAcrossResumedProcesses() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = [(4, 1.0), (8, 2.0), (12, 0.5), (16, 1.5)].map { step, seconds in
            "{\"step\":\(step),\"train_loss\":2.5,\"val_loss\":2.4,\"elapsed_seconds\":\(seconds)}"
        }
        try lines.joined(separator: "\n").write(toFile: dir.path + "/metrics.jsonl", atomically: true, encoding: .utf8)
        #expect(try LossPlot.read(metrics: dir.path + "/metrics.jsonl").map(\.seconds) == [1, 2, 2.5, 3.5])
    }
}
