namespace Experiments.Worker; internal static class Placeholder {}
