export type { KubeImageSource, KubeImageUse } from "./types.ts";
export { kubeImages, imageIdRef, type KubeImagesOptions } from "./images.ts";
