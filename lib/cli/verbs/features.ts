import { features as featuresDoc } from '../../features';

export function features(): number {
  process.stdout.write(JSON.stringify(featuresDoc(), null, 4) + '\n');
  return 0;
}
