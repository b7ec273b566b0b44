// lrp-cnn: relevance heatmaps for CNNs in ONNX format. Argument parsing and printing only;
// the work is done by the CNNRelevance library.
import CLISupport

CommandLineRunner.run(LRPCNN.self)
