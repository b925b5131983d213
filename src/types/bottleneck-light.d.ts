// bottleneck/light is the package's build without Redis clustering; its API and types are the main module's.
declare module 'bottleneck/light' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
