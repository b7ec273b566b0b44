import ArgumentParser
import Evaluation
import LRPCore

// Option values shared by the executables (each conformance is declared once, here).
extension Colormap: ExpressibleByArgument {}
extension DatasetLayout: ExpressibleByArgument {}
