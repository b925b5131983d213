import assert from 'node:assert/strict';
import { enterpriseSessionProblem, githubWebHost } from '../../src/core/sources/sourceChoice';

describe('GitHub hosts', () => {
  it('names the web host of an API URL', () => {
    assert.equal(githubWebHost('https://api.github.com'), 'github.com');
    assert.equal(githubWebHost('https://GHE.corp.example/api/v3'), 'ghe.corp.example');
    assert.equal(githubWebHost('https://api.acme.ghe.com'), 'acme.ghe.com');
    assert.equal(githubWebHost('http://127.0.0.1:8080'), '127.0.0.1');
  });

  it('uses an Enterprise session only for the server it was issued by', () => {
    const api = 'https://ghe.corp.example/api/v3';
    assert.equal(enterpriseSessionProblem(api, 'https://ghe.corp.example'), null);
    assert.equal(enterpriseSessionProblem(api, 'https://GHE.corp.example/'), null);
    assert.match(enterpriseSessionProblem(api, undefined)!, /not set; set it to https:\/\/ghe\.corp\.example/);
    assert.match(
      enterpriseSessionProblem(api, 'https://other.example')!,
      /names other\.example but lineage\.github\.url is on ghe\.corp\.example: a token for other\.example is not sent to ghe\.corp\.example/,
    );
    assert.match(enterpriseSessionProblem(api, 'not a url')!, /is not a URL/);
    assert.equal(enterpriseSessionProblem('https://api.acme.ghe.com', 'https://acme.ghe.com'), null);
  });
});
