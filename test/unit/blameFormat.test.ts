import assert from 'node:assert/strict';
import { deploymentLabel } from '../../src/cli/blameFormat';

describe('deployment labels in the terminal', () => {
  it('keeps short ids whole and shortens long ones to the start of their last part', () => {
    assert.equal(deploymentLabel('prod-1'), 'prod-1');
    assert.equal(deploymentLabel('813'), '813');
    assert.equal(
      deploymentLabel('cdevents:/cd/argo/shop:dev.cdevents.service.deployed.0.2.0:c0ffee00-0000-4000-8000-000000000006'),
      '…c0ffee00',
    );
    assert.equal(deploymentLabel('github:acme/shop:deployment:1234567890'), '…1234567890');
  });
});
