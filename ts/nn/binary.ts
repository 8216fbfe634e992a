// nn classes of the elementwise classification losses (BCE family, margins, KL, focal).
export {};
